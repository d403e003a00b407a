package org.bloomstream.aggregation.mil;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleProxies;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;

/**
 * Starts DJL's ONNX Runtime engine, and with it ONNX Runtime's JVM-wide environment, so that
 * nothing JVM-wide keeps the class loader of the code that asked (issue 17).
 *
 * <p>The environment registers a shutdown hook: a {@code Thread}, which keeps the context class
 * loader of the thread that created it and the protection domains (with their class loaders) of
 * every class on that thread's stack. On a Flink TaskManager the first job to open a model is on
 * that stack, and it would stay in metaspace for good. So the engine is started on a JDK pool
 * thread (made by the JDK in a privileged block, with its own access control context) that runs a
 * method-handle proxy, JDK classes only, calling {@code Engine.getEngine("OnnxRuntime")} with ONNX
 * Runtime's own class loader as context loader: Flink's lib/ on a cluster
 * (docs/cluster-operators.md), the application's elsewhere. SessionClusterLeakIT in the job module
 * checks it; ExecutionProviders in inference does the same. ONNX Runtime in a job jar (not in lib/)
 * still pins that job: the engine itself is then one of the job's classes.
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
                run(ai.djl.engine.Engine.class, "getEngine", "OnnxRuntime");
                started = true;
            }
        }
    }

    /** {@code owner.method(arg)} (public, static) as described above. */
    private static void run(Class<?> owner, String method, String arg) {
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            MethodHandle setContextLoader =
                    MethodHandles.insertArguments(
                            MethodHandles.collectArguments(
                                    lookup.findVirtual(
                                            Thread.class,
                                            "setContextClassLoader",
                                            MethodType.methodType(void.class, ClassLoader.class)),
                                    0,
                                    lookup.findStatic(
                                            Thread.class,
                                            "currentThread",
                                            MethodType.methodType(Thread.class))),
                            0,
                            owner.getClassLoader());
            MethodHandle call =
                    MethodHandles.insertArguments(
                            lookup.findStatic(
                                    owner,
                                    method,
                                    MethodType.methodType(
                                            owner.getMethod(method, String.class).getReturnType(),
                                            String.class)),
                            0,
                            arg);
            Callable<?> task =
                    MethodHandleProxies.asInterfaceInstance(
                            Callable.class, MethodHandles.foldArguments(call, setContextLoader));
            ForkJoinPool pool = new ForkJoinPool(1); // its thread dies with it
            try {
                pool.submit(task).get();
            } finally {
                pool.shutdown();
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r
                    ? r
                    : new IllegalStateException("cannot start " + owner.getName(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + owner.getName(), e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot start " + owner.getName(), e);
        }
    }
}
