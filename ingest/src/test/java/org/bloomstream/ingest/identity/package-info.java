/** Tests of crop identity and the id rules across every feed and the gate (issue 20). */
package org.bloomstream.ingest.identity;
