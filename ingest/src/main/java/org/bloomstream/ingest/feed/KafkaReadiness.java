package org.bloomstream.ingest.feed;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.bloomstream.schemas.kafka.KafkaSecurity;

/**
 * Readiness from a round trip to the cluster: every {@code interval} an admin request ({@code
 * describeCluster}) with a short timeout. Ready while the last success is recent. A stopped broker
 * fails the request; a frozen one (SIGSTOP, a partitioned network) times it out, which the producer
 * alone would notice only after its 30 s delivery timeout.
 */
public final class KafkaReadiness implements Readiness, AutoCloseable {
    private final Admin admin;
    private final Duration timeout;
    private final long staleAfterNanos;
    private final ScheduledExecutorService probe;
    private volatile long lastOk; // System.nanoTime() of the last success; 0 for never

    private KafkaReadiness(Admin admin, Duration interval, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
        this.staleAfterNanos = interval.plus(timeout).multipliedBy(2).toNanos();
        this.probe =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "kafka-readiness");
                            t.setDaemon(true);
                            return t;
                        });
        probe.scheduleWithFixedDelay(this::check, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Probes the cluster at {@code bootstrapServers} every 2 s with a 2 s timeout. */
    public static KafkaReadiness connect(String bootstrapServers, KafkaSecurity security) {
        return connect(bootstrapServers, security, Duration.ofSeconds(2), Duration.ofSeconds(2));
    }

    public static KafkaReadiness connect(
            String bootstrapServers, KafkaSecurity security, Duration interval, Duration timeout) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "bloomstream-ingest-readiness");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        return new KafkaReadiness(Admin.create(security.applyTo(p)), interval, timeout);
    }

    private void check() {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .clusterId()
                    .get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
            lastOk = System.nanoTime();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // not ready until the next success; the reason given to clients stays generic
        }
    }

    @Override
    public String notReady() {
        long ok = lastOk;
        if (ok == 0) {
            return "Kafka has not been reached yet";
        }
        if (System.nanoTime() - ok > staleAfterNanos) {
            return "Kafka cannot be reached";
        }
        return null;
    }

    @Override
    public void close() {
        probe.shutdownNow();
        admin.close(Duration.ofSeconds(2));
    }
}
