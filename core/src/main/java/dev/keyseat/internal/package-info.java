/** Key format, checksum and hashing. Not exported: no compatibility promise. */
@NullMarked
package dev.keyseat.internal;

import org.jspecify.annotations.NullMarked;
