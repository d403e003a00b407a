package org.bloomstream.embedded.kafka;

import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.ServerSocketFactory;
import org.bloomstream.schemas.Topic;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.bloomstream.schemas.kafka.KafkaSecurity;

/**
 * A real single-node Kafka (KRaft, broker and controller in one process) inside this JVM, on a free
 * loopback port, with its log directories under a directory the caller owns.
 *
 * <p>It is Kafka's own test kit, not a mock: the same broker code, transactions included.
 * Replication factors and min ISR are 1 because there is one node.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaClusterTestKit cluster;
    private final SaslSslListener secure;

    private EmbeddedKafka(KafkaClusterTestKit cluster, SaslSslListener secure) {
        this.cluster = cluster;
        this.secure = secure;
    }

    public static EmbeddedKafka start(Path dataDir) throws Exception {
        return start(dataDir, Map.of(), null);
    }

    /** A plaintext broker with extra broker settings. */
    public static EmbeddedKafka start(Path dataDir, Map<String, String> brokerConfig)
            throws Exception {
        return start(dataDir, brokerConfig, null);
    }

    /**
     * A broker with extra broker settings and, if {@code secure} is given, a SASL_SSL listener with
     * its SCRAM user created: {@link #bootstrapServers()} and {@link #admin()} then point at that
     * listener, so every client of the broker has to use {@link #clientSecurity()}.
     *
     * @param brokerConfig broker properties that override the defaults
     * @param secure the SASL_SSL listener, null for plaintext only
     */
    public static EmbeddedKafka start(
            Path dataDir, Map<String, String> brokerConfig, SaslSslListener secure)
            throws Exception {
        TestKitNodes nodes =
                new TestKitNodes.Builder()
                        .setCombined(true)
                        .setNumBrokerNodes(1)
                        .setNumControllerNodes(1)
                        .setBaseDirectory(dataDir)
                        .build();
        KafkaClusterTestKit.Builder builder =
                new KafkaClusterTestKit.Builder(nodes)
                        .setConfigProp("offsets.topic.replication.factor", "1")
                        .setConfigProp("offsets.topic.num.partitions", "4")
                        .setConfigProp("transaction.state.log.replication.factor", "1")
                        .setConfigProp("transaction.state.log.min.isr", "1")
                        .setConfigProp("transaction.state.log.num.partitions", "4")
                        .setConfigProp("group.initial.rebalance.delay.ms", "0")
                        .setConfigProp(
                                "message.max.bytes",
                                String.valueOf(ClientSettings.MAX_RECORD_BYTES))
                        .setConfigProp("auto.create.topics.enable", "false")
                        .setDeleteOnClose(true);
        if (secure != null) {
            secure.brokerConfig().forEach(builder::setConfigProp);
        }
        brokerConfig.forEach(builder::setConfigProp);
        KafkaClusterTestKit cluster = builder.build();
        try {
            listenOnLoopbackOnly(cluster);
            formatQuietly(cluster);
            cluster.startup();
            cluster.waitForReadyBrokers();
            if (secure != null) {
                addScramUser(cluster, secure);
            }
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        return new EmbeddedKafka(cluster, secure);
    }

    /**
     * Creates the listener's SCRAM user through the plaintext listener, then waits until that user
     * can log in on the SASL_SSL one (credentials reach the broker through the metadata log).
     */
    private static void addScramUser(KafkaClusterTestKit cluster, SaslSslListener secure)
            throws Exception {
        try (Admin plain =
                Admin.create(
                        ClientSettings.admin(cluster.bootstrapServers(), KafkaSecurity.NONE))) {
            plain.alterUserScramCredentials(
                            List.of(
                                    new UserScramCredentialUpsertion(
                                            secure.user(),
                                            new ScramCredentialInfo(
                                                    ScramMechanism.SCRAM_SHA_512, 8192),
                                            secure.password())))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        String bootstrap = secureBootstrap(cluster);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin =
                    Admin.create(ClientSettings.admin(bootstrap, secure.clientSecurity()))) {
                admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the SCRAM user cannot log in over SASL_SSL", last);
    }

    private static String secureBootstrap(KafkaClusterTestKit cluster) {
        StringBuilder s = new StringBuilder();
        for (BrokerServer b : cluster.brokers().values()) {
            if (s.length() > 0) {
                s.append(',');
            }
            s.append("localhost:")
                    .append(b.boundPort(ListenerName.normalised(SaslSslListener.NAME)));
        }
        return s.toString();
    }

    /** What clients need to reach {@link #bootstrapServers()}: plaintext unless SASL_SSL. */
    public KafkaSecurity clientSecurity() {
        return secure == null ? KafkaSecurity.NONE : secure.clientSecurity();
    }

    /**
     * The test kit reserves each listener's port by binding it on every interface ({@code new
     * InetSocketAddress(port)} in its {@code PreboundSocketFactoryManager}) and hands that socket
     * to the broker at its first start, whatever host the listener names. On a lab PC running the
     * demo that published an unauthenticated broker, patient ids and crops included, to the network
     * (found by {@code EndToEndTest}'s socket check). Before the first start, each reserved socket
     * is closed and bound again on loopback at the same port; a restarted broker already binds the
     * listener's host, {@code localhost}.
     *
     * <p>Limit: the kit keeps the sockets private, so they are reached by reflection; a Kafka
     * upgrade that changes them fails here, loudly. Between the close and the new bind another
     * process could take the port; the start then fails with a bind error rather than listen
     * anywhere else.
     */
    private static void listenOnLoopbackOnly(KafkaClusterTestKit cluster) throws Exception {
        Field managerField = KafkaClusterTestKit.class.getDeclaredField("socketFactoryManager");
        managerField.setAccessible(true);
        Object manager = managerField.get(cluster);
        Field socketsField = manager.getClass().getDeclaredField("sockets");
        socketsField.setAccessible(true);
        @SuppressWarnings("unchecked")
        Map<Integer, Map<String, ServerSocketChannel>> sockets =
                (Map<Integer, Map<String, ServerSocketChannel>>) socketsField.get(manager);
        synchronized (manager) {
            for (Map<String, ServerSocketChannel> byListener : sockets.values()) {
                for (Map.Entry<String, ServerSocketChannel> e : byListener.entrySet()) {
                    InetSocketAddress at = (InetSocketAddress) e.getValue().getLocalAddress();
                    if (at.getAddress().isLoopbackAddress()) {
                        continue;
                    }
                    e.getValue().close();
                    e.setValue(
                            ServerSocketFactory.INSTANCE.openServerSocket(
                                    e.getKey(),
                                    new InetSocketAddress(
                                            InetAddress.getLoopbackAddress(), at.getPort()),
                                    -1,
                                    -1));
                }
            }
        }
    }

    /** The storage formatter prints to stdout; keep the CLI's output its own. */
    private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            cluster.format();
        } finally {
            System.setOut(stdout);
        }
    }

    /**
     * {@code localhost:port}: loopback only. The SASL_SSL listener when there is one, else the
     * plaintext one.
     */
    public String bootstrapServers() {
        return secure == null ? cluster.bootstrapServers() : secureBootstrap(cluster);
    }

    public Admin admin() {
        return Admin.create(ClientSettings.admin(bootstrapServers(), clientSecurity()));
    }

    /**
     * Stops the broker as a crash-free shutdown would (the controller keeps running): clients see
     * their connections refused until {@link #startBroker(Duration)}. Log directories, transaction
     * and offset state stay, and the broker comes back on the same port.
     */
    public void stopBroker() {
        for (BrokerServer b : cluster.brokers().values()) {
            b.shutdown();
            b.awaitShutdown();
        }
    }

    /**
     * Starts the broker stopped by {@link #stopBroker()} on the same port and log directories and
     * waits until it answers metadata requests again.
     */
    public void startBroker(Duration timeout) throws Exception {
        for (BrokerServer b : cluster.brokers().values()) {
            b.startup();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        try (Admin admin = admin()) {
            while (System.nanoTime() < deadline) {
                try {
                    // Ready means every partition has its leader again, not just a listening port.
                    var names =
                            admin.listTopics(new ListTopicsOptions().listInternal(true))
                                    .names()
                                    .get(5, TimeUnit.SECONDS);
                    boolean led =
                            admin
                                    .describeTopics(names)
                                    .allTopicNames()
                                    .get(5, TimeUnit.SECONDS)
                                    .values()
                                    .stream()
                                    .flatMap(t -> t.partitions().stream())
                                    .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                    if (led) {
                        return;
                    }
                } catch (Exception e) {
                    last = e;
                }
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the broker did not come back in " + timeout, last);
    }

    /** Creates every registry topic (idempotent). */
    public void createTopics(int partitions) throws InterruptedException, ExecutionException {
        List<NewTopic> topics = new ArrayList<>();
        for (Topic<String, ?> t : Topics.all()) {
            topics.add(
                    new NewTopic(t.name(), partitions, (short) 1)
                            .configs(
                                    Map.of(
                                            "max.message.bytes",
                                            String.valueOf(ClientSettings.MAX_RECORD_BYTES))));
        }
        try (Admin admin = admin()) {
            for (var e : admin.createTopics(topics).values().entrySet()) {
                try {
                    e.getValue().get();
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw ex;
                    }
                }
            }
        }
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
