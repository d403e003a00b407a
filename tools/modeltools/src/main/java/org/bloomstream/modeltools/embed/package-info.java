/** Batch embedding of crop folders ({@code bloomstream embed}) and the embeddings file format. */
package org.bloomstream.modeltools.embed;
