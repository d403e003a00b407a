/** Getting crops into the pipeline: scanner feeds, the synthetic scanner and the ingest gate. */
package org.bloomstream.ingest;
