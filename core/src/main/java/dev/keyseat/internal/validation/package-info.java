/**
 * The validation mechanism behind {@link dev.keyseat.validation}: the cache ({@link
 * dev.keyseat.internal.validation.ValidationCache}, configured through {@link
 * dev.keyseat.internal.validation.ValidationCacheBuilder}), the store-backed validator ({@link
 * dev.keyseat.internal.validation.StoreLookupValidator}), the verdict logic both share ({@link
 * dev.keyseat.internal.validation.Verdicts}), the store-lookup budget, the per-key rate limiter and
 * the default scheduler. Not exported: no compatibility promise.
 */
@NullMarked
package dev.keyseat.internal.validation;

import org.jspecify.annotations.NullMarked;
