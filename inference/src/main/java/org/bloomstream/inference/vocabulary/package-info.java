/**
 * Cell-type vocabularies as data: the peripheral five, Matek 2018's 15 AML classes and the 21
 * bone-marrow classes, with the mappings between them where one exists (JSON under {@code
 * vocabularies/} on the classpath, or any file in the same format).
 */
package org.bloomstream.inference.vocabulary;
