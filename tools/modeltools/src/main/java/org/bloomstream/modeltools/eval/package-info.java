/**
 * Cell-typing evaluation the way the DinoBloom paper does it: stratified k-fold (grouped by patient
 * or smear when the labels carry a group) over frozen embeddings, kNN with k = 1 and k = 20 and a
 * linear probe, reporting accuracy, balanced accuracy and weighted F1, plus per-class recall and
 * confusion matrices as text, PNG and HTML.
 */
package org.bloomstream.modeltools.eval;
