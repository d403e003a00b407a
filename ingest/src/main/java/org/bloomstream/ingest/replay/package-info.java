/** Replaying folders of real crops as if a scanner sent them. */
package org.bloomstream.ingest.replay;
