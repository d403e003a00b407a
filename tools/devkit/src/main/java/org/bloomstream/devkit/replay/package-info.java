/**
 * Replaying folders of real crops as if a scanner sent them: labelled folders ({@code labels.csv})
 * for the demo, and any folder tree at a given rate for load tests ({@link
 * org.bloomstream.devkit.replay.FolderReplay}).
 */
package org.bloomstream.devkit.replay;
