package org.bloomstream.job.cli;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.bloomstream.job.BloomstreamJob;
import picocli.CommandLine;

/**
 * The entry class of {@code bloomstream-job.jar} on a Flink cluster: application mode (the Flink
 * Kubernetes Operator's {@code job.entryClass}, {@code standalone-job --job-classname}) and {@code
 * flink run}. It takes exactly the options of {@code bloomstream job}, without the subcommand name.
 *
 * <p>Unlike {@code BloomstreamCli.main}, it never calls {@code System.exit} (that would take the
 * JobManager down with it) and never touches the logging configuration (the cluster owns it).
 * Errors propagate as exceptions, so Flink reports them as a failed submission, and control-flow
 * exceptions that Flink's client throws through {@code execute()} reach Flink unchanged.
 */
public final class FlinkJobMain {
    static {
        // The TaskManagers load the embedder too; OnnxEmbedder sets these again there.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("java.awt.headless", "true");
    }

    private FlinkJobMain() {}

    public static void main(String[] args) throws Exception {
        JobCommand job = parse(args);
        if (job != null) {
            job.call();
        }
    }

    /**
     * Builds the job graph on {@code env} without executing it, and returns the execution plan as
     * JSON. Used to check the shaded job jar against a Flink runtime classpath.
     */
    public static String plan(StreamExecutionEnvironment env, String... args) {
        JobCommand job = parse(args);
        if (job == null) {
            throw new IllegalArgumentException("no plan for --help/--version");
        }
        BloomstreamJob.kafka(job.config()).build(env);
        return env.getExecutionPlan();
    }

    /** Parses the {@code job} options; null when help or version was requested and printed. */
    public static JobCommand parse(String[] args) {
        JobCommand job = new JobCommand();
        CommandLine cl = new CommandLine(job);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            cl.getErr().println(e.getMessage());
            cl.usage(cl.getErr());
            throw e;
        }
        if (cl.isUsageHelpRequested()) {
            cl.usage(cl.getOut());
            return null;
        }
        if (cl.isVersionHelpRequested()) {
            cl.printVersionHelp(cl.getOut());
            return null;
        }
        return job;
    }
}
