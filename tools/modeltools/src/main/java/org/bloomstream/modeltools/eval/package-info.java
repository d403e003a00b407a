/**
 * Cell-typing evaluation on frozen embeddings, with two protocols. {@code dinobloom} ({@link
 * org.bloomstream.app.eval.DinoBloomProtocol}) is the DinoBloom paper's, exactly: scikit-learn's
 * unshuffled {@code StratifiedKFold(5)} or a fixed split, Euclidean kNN (k = 1, 20) and L-BFGS
 * logistic regression. {@code grouped} ({@link org.bloomstream.app.eval.Evaluation}) is
 * bloomstream's own: seeded stratified k-fold that keeps a patient or smear in one fold, with the
 * served heads. Both report accuracy, balanced accuracy and weighted F1, plus per-class recall and
 * confusion matrices as text, PNG and HTML.
 */
package org.bloomstream.modeltools.eval;
