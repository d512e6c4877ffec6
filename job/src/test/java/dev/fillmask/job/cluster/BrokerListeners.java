package dev.fillmask.job.cluster;

import dev.fillmask.job.local.ListenAddress;

import java.util.Map;

/**
 * The listener part of a {@link KafkaProcess}'s {@code server.properties}, every listener on 127.0.0.1: the one its
 * clients (the job) are given, the one the test's own set-up (admin client, readiness) uses, and the KRaft
 * controller's. A secured broker keeps a PLAINTEXT listener of its own for the set-up, so that the test can wait
 * for it and create users before any client can log in.
 */
public interface BrokerListeners {
    /** One PLAINTEXT listener for clients and set-up alike, as a local run's embedded broker has. */
    BrokerListeners PLAINTEXT = new BrokerListeners() {
        @Override
        public Map<String, String> settings(int clientPort, int setupPort, int controllerPort) {
            return ListenAddress.loopback().kafkaListeners(clientPort, controllerPort);
        }

        @Override
        public boolean setupListenerOfItsOwn() {
            return false;
        }
    };

    /**
     * The listener settings (and whatever they need: SASL mechanisms, TLS stores...): clients on {@code clientPort},
     * the set-up on {@code setupPort} when {@link #setupListenerOfItsOwn()}, KRaft on {@code controllerPort}.
     */
    Map<String, String> settings(int clientPort, int setupPort, int controllerPort);

    /** false: the set-up uses the clients' listener (and {@code setupPort} is not used). */
    boolean setupListenerOfItsOwn();
}
