/** The alert policy: when a subtype call is stable and certain enough to page a hematologist. */
package org.bloomstream.aggregation.alert;
