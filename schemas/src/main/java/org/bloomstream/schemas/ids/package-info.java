/**
 * The id rules: what a specimen, scan, scanner or cell id may be, checked once at every edge (HTTP
 * headers and form fields, the watch folder, replay) and again by the gate for records that bypass
 * the feeds. A crop's identity is the pair (specimen id, cell id).
 */
package org.bloomstream.schemas.ids;
