/**
 * The synthetic scanner's image side: {@link org.bloomstream.devkit.synthetic.CellRenderer} draws
 * deterministic, plausible single white-cell crops (May-Grünwald-Giemsa stained peripheral blood:
 * the five normal leukocytes plus myeloblasts and APL-like promyelocytes, see {@link
 * org.bloomstream.devkit.feed.CellKind}) so the demo and the tests can feed the pipeline
 * realistic-looking input without patient data. The cells are drawn from textbook morphology with
 * Java2D, not learned from scans: they exercise decoding, batching, embedding and alerting end to
 * end, but a model's accuracy on them says nothing about its accuracy on real smears, so they are
 * no substitute for real labelled data.
 */
package org.bloomstream.devkit.synthetic;
