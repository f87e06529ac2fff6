// kube-validate: reads Kubernetes manifests (YAML, documents separated by ---) on stdin or
// from files and decodes every document strictly against the API types of k8s.io/api at the
// version in go.mod: an unknown field, a duplicated field, a value of the wrong type, or an
// apiVersion/kind that version does not serve is an error naming the document. Prints one
// line per valid resource ("ok Kind/name") and exits 1 if any document failed.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
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
