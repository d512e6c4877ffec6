package dev.fillmask.job.gateway;

import dev.fillmask.gateway.kafka.JobProbe;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * Stands in for the job where a test needs the gateway and a real broker but no model: it reads the input topic and
 * answers the gateway's readiness probes only (as the job would: an error answer under the probe's key), so every
 * other request stays unanswered.
 */
final class StandInJob implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final String output;
    private final Thread thread;
    private volatile boolean closing;

    StandInJob(String bootstrap, String input, String output) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TopicPartition partition = new TopicPartition(input, 0);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.output = output;
        thread = new Thread(this::run, "stand-in-job");
        thread.start();
    }

    private void run() {
        try {
            while (!closing) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (r.headers().lastHeader(JobProbe.HEADER_PROBE) != null) {
                        producer.send(new ProducerRecord<>(output, r.key(),
                                "{\"error\":\"`inputs` is missing\"}".getBytes(StandardCharsets.UTF_8)));
                    }
                }
                producer.flush();
            }
        } catch (WakeupException e) {
            // closing
        }
    }

    @Override
    public void close() throws InterruptedException {
        closing = true;
        consumer.wakeup();
        thread.join(10_000);
        consumer.close();
        producer.close();
    }
}
