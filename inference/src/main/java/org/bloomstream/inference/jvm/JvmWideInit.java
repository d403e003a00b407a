package org.bloomstream.inference.jvm;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleProxies;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;

/**
 * Runs the first use of a JVM-wide facility so that it keeps nothing of the code that asked.
 *
 * <p>On a Flink TaskManager each job has its own class loader, which must be collectable once the
 * job ends (issue 17). JVM-wide state created on a task thread keeps it in two ways: the thread's
 * context class loader (a {@code Thread} made there inherits it; ImageIO's {@code AppContext}
 * stores it), and the access control context of the stack, i.e. the protection domain, with its
 * class loader, of every class on it (a {@code Thread} inherits it; {@code IIORegistry} stores one
 * per registered reader). ONNX Runtime's environment registers a shutdown hook thread; ImageIO's
 * registry is created on first use. Both are created once per JVM, by whichever job comes first.
 *
 * <p>{@link #callStatic} calls a public static method on a thread of a private {@link
 * ForkJoinPool}: the JDK makes that thread in a privileged block with its own access control
 * context, and it runs a method-handle proxy (JDK classes only) that sets the context class loader
 * and calls the method. So only the JDK and the method's own classes are on the stack. The pool and
 * its thread are gone when the call returns. SessionClusterLeakIT in the job module checks the
 * result: ten jobs in a row on one simulated TaskManager, none left in memory.
 */
public final class JvmWideInit {
    private JvmWideInit() {}

    /**
     * {@code owner.method(arg)}, public and static, called with {@code contextLoader} as the
     * thread's context class loader and no caller class on the stack; waits for it.
     */
    public static void callStatic(
            ClassLoader contextLoader,
            Class<?> owner,
            String method,
            Class<?> parameterType,
            Object arg) {
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
                            contextLoader);
            MethodHandle call =
                    MethodHandles.insertArguments(
                            lookup.findStatic(
                                    owner,
                                    method,
                                    MethodType.methodType(
                                            owner.getMethod(method, parameterType).getReturnType(),
                                            parameterType)),
                            0,
                            arg);
            Callable<?> task =
                    MethodHandleProxies.asInterfaceInstance(
                            Callable.class, MethodHandles.foldArguments(call, setContextLoader));
            ForkJoinPool pool = new ForkJoinPool(1);
            try {
                pool.submit(task).get();
            } finally {
                pool.shutdown();
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r
                    ? r
                    : new IllegalStateException(
                            "cannot call " + owner.getName() + "." + method, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(
                    "interrupted calling " + owner.getName() + "." + method, e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot call " + owner.getName() + "." + method, e);
        }
    }
}
