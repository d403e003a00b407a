/** The job's first stage: accepted crop bytes to resized RGB, or a dead letter with a reason. */
package org.bloomstream.inference.decode;
