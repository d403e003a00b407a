package org.bloomstream.faults;

import java.time.Duration;

/**
 * Bounded polling on exactly the condition a container test asserts: no fixed sleeps. Services that
 * are starting or restarting answer with errors of known kinds; those are retried and the last one
 * is attached to the timeout.
 */
final class Polling {
    private Polling() {}

    interface Condition {
        boolean holds() throws Exception;
    }

    /**
     * Polls {@code c} every {@code period} until it holds, for at most {@code timeout}; an
     * exception of one of the {@code tolerated} kinds counts as "not yet".
     */
    @SafeVarargs
    static void await(
            String what,
            Duration timeout,
            Duration period,
            Condition c,
            Class<? extends Exception>... tolerated)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (c.holds()) {
                    return;
                }
            } catch (Exception e) {
                if (!isAny(e, tolerated)) {
                    throw e;
                }
                last = e;
            }
            Thread.sleep(period.toMillis());
        }
        throw new AssertionError("timed out waiting for: " + what, last);
    }

    private static boolean isAny(Exception e, Class<? extends Exception>[] kinds) {
        for (Class<? extends Exception> k : kinds) {
            if (k.isInstance(e)) {
                return true;
            }
        }
        return false;
    }
}
