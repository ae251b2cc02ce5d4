/** Keyseat's in-memory store: thread-safe, for tests, demos and single nodes. */
module dev.keyseat.inmemory {
  requires transitive dev.keyseat.core;

  exports dev.keyseat.inmemory;
}
