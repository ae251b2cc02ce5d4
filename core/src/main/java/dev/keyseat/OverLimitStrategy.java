package dev.keyseat;

/** What cancelling licenses below the number of keys in use does. Keys are never deleted. */
public enum OverLimitStrategy {
  /** Refuse; the error says how many keys must be deleted first. The default. */
  REJECT,
  /** Accept; the account is over its limit and no new key can be created until it is back under. */
  MARK_OVER_LIMIT,
  /** Accept and suspend the newest keys above the new limit; no new key until back under. */
  SUSPEND_NEWEST
}
