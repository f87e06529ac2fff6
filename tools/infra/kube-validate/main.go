// kube-validate: reads Kubernetes manifests (YAML, documents separated by ---) on stdin or
// from files and decodes every document strictly against the API types of k8s.io/api at the
// version in go.mod: an unknown field, a duplicated field, a value of the wrong type, or an
// apiVersion/kind that version does not serve is an error naming the document. Then a few of
// the API server's own rules, with apimachinery's validators: names (DNS-1123, a Service's
// DNS-1035), port and environment variable names, and a workload's selector matching its pod
// template's labels. Prints one line per valid resource ("ok Kind/name") and exits 1 if any
// document failed.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/yaml"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
)

func main() {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, networkingv1.AddToScheme,
		policyv1.AddToScheme, rbacv1.AddToScheme, autoscalingv2.AddToScheme, storagev1.AddToScheme,
		schedulingv1.AddToScheme, admissionregistrationv1.AddToScheme,
	} {
		utilruntime.Must(add(scheme))
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

	sources := os.Args[1:]
	if len(sources) == 0 {
		sources = []string{"-"}
	}
	failed := 0
	for _, source := range sources {
		var in io.Reader = os.Stdin
		if source != "-" {
			file, err := os.Open(source)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			defer file.Close()
			in = file
		}
		reader := yaml.NewYAMLReader(bufio.NewReader(in))
		for index := 1; ; index++ {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fmt.Printf("error %s document %d: %v\n", source, index, err)
				failed++
				break
			}
			if len(bytes.TrimSpace(doc)) == 0 || isOnlyComments(doc) {
				continue
			}
			object, kind, err := decoder.Decode(doc, nil, nil)
			if err != nil {
				fmt.Printf("error %s document %d: %v\n", source, index, err)
				failed++
				continue
			}
			name := ""
			if accessor, err := meta.Accessor(object); err == nil {
				name = accessor.GetName()
			}
			if name == "" {
				fmt.Printf("error %s document %d: %s has no metadata.name\n", source, index, kind.Kind)
				failed++
				continue
			}
			if problems := check(object); len(problems) > 0 {
				for _, problem := range problems {
					fmt.Printf("error %s document %d: %s/%s: %s\n", source, index, kind.Kind, name, problem)
				}
				failed++
				continue
			}
			fmt.Printf("ok %s/%s %s\n", kind.Kind, name, kind.GroupVersion().String())
		}
	}
	if failed > 0 {
		fmt.Printf("%d invalid document(s)\n", failed)
		os.Exit(1)
	}
}

func isOnlyComments(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) > 0 && trimmed[0] != '#' {
			return false
		}
	}
	return true
}

// check applies some of the API server's validation that decoding alone does not.
func check(object runtime.Object) []string {
	var problems []string
	add := func(field string, errs []string) {
		for _, err := range errs {
			problems = append(problems, field+": "+err)
		}
	}
	accessor, _ := meta.Accessor(object)
	if _, isService := object.(*corev1.Service); isService {
		add("metadata.name", validation.IsDNS1035Label(accessor.GetName()))
	} else {
		add("metadata.name", validation.IsDNS1123Subdomain(accessor.GetName()))
	}
	workload := func(selector *metav1.LabelSelector, template *corev1.PodTemplateSpec) {
		if selector == nil {
			problems = append(problems, "spec.selector: Required value")
		} else if parsed, err := metav1.LabelSelectorAsSelector(selector); err != nil {
			problems = append(problems, "spec.selector: "+err.Error())
		} else if parsed.Empty() || !parsed.Matches(labels.Set(template.Labels)) {
			problems = append(problems, "spec.template.metadata.labels: `selector` does not match template `labels`")
		}
		pod(template.Spec, add)
	}
	switch typed := object.(type) {
	case *appsv1.Deployment:
		workload(typed.Spec.Selector, &typed.Spec.Template)
	case *appsv1.StatefulSet:
		workload(typed.Spec.Selector, &typed.Spec.Template)
	case *appsv1.DaemonSet:
		workload(typed.Spec.Selector, &typed.Spec.Template)
	case *batchv1.Job:
		pod(typed.Spec.Template.Spec, add)
	case *corev1.Service:
		for i, port := range typed.Spec.Ports {
			if port.Name != "" {
				add(fmt.Sprintf("spec.ports[%d].name", i), validation.IsValidPortName(port.Name))
			}
		}
	}
	return problems
}

func pod(spec corev1.PodSpec, add func(string, []string)) {
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	seen := map[string]bool{}
	for i, container := range all {
		field := fmt.Sprintf("containers[%d]", i)
		add(field+".name", validation.IsDNS1123Label(container.Name))
		if seen[container.Name] {
			add(field+".name", []string{"Duplicate value: " + container.Name})
		}
		seen[container.Name] = true
		for j, port := range container.Ports {
			if port.Name != "" {
				add(fmt.Sprintf("%s.ports[%d].name", field, j), validation.IsValidPortName(port.Name))
			}
		}
		for j, env := range container.Env {
			add(fmt.Sprintf("%s.env[%d].name", field, j), validation.IsEnvVarName(env.Name))
		}
	}
}
