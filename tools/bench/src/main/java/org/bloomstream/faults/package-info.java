/**
 * Fault injection: the suite that proves exactly-once through task failures, stop-and-restore from
 * savepoints, broker restarts and sink stalls ({@link org.bloomstream.faults.FaultRun}, the {@code
 * bloomstream faults} command and {@code FaultInjectionTest}), and the operators it inserts into
 * the job through {@link org.bloomstream.job.BloomstreamJob.Taps}.
 *
 * <p>The injectors are driven by JVM-wide switches ({@link org.bloomstream.faults.FaultSwitch}), so
 * they only work where the job runs in the driver's JVM (the embedded MiniCluster). Production jobs
 * never contain them.
 */
package org.bloomstream.faults;
