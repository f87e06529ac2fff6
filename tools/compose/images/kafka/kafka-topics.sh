#!/bin/sh
# bin/kafka-topics.sh of the apache/kafka image: the same tool class, the same arguments.
exec java -Xmx256m -cp '/opt/kafka/libs/*' -Dlog4j.configuration=file:/opt/kafka/config/log4j.properties org.apache.kafka.tools.TopicCommand "$@"
