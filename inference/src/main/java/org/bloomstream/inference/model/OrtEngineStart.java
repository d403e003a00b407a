package org.bloomstream.inference.model;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import org.bloomstream.inference.jvm.JvmWideInit;

/**
 * Starts DJL's ONNX Runtime engine, and with it ONNX Runtime's JVM-wide environment, through {@link
 * JvmWideInit}: the environment registers a shutdown hook thread, which would otherwise keep the
 * class loader of the first job to open a model on a TaskManager (issue 17). The context loader is
 * ONNX Runtime's own: Flink's lib/ on a cluster (docs/cluster-operators.md), the application's
 * elsewhere. ONNX Runtime inside a job jar still pins that job: the engine is then one of the job's
 * classes.
 */
final class OrtEngineStart {
    private static volatile boolean started;

    private OrtEngineStart() {}

    static void ensureStarted() {
        if (started) {
            return;
        }
        synchronized (OrtEngineStart.class) {
            if (!started) {
                JvmWideInit.callStatic(
                        OrtEnvironment.class.getClassLoader(),
                        Engine.class,
                        "getEngine",
                        String.class,
                        "OnnxRuntime");
                started = true;
            }
        }
    }
}
