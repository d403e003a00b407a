/** Folders of crops on disk, in the layouts labs and public data sets use. */
package org.bloomstream.modeltools.dataset;
