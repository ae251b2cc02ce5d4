/** Key format, checksum and hashing. Not exported: no compatibility promise. */
package dev.keyseat.internal;
