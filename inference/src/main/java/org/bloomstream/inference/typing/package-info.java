/** Cell typing heads on frozen embeddings, and the operator that applies them. */
package org.bloomstream.inference.typing;
