/** What an upload does when a similar image exists: store quietly, store and list, or refuse. */
export const NEAR_DUPLICATE_POLICIES = ['allow', 'warn', 'reject'] as const
export type NearDuplicatePolicy = (typeof NEAR_DUPLICATE_POLICIES)[number]

/** Largest distance a query may ask for: beyond it most unrelated photos match (see README). */
export const MAX_NEAR_DUPLICATE_DISTANCE = 24

/** At most this many near-duplicates are named in an upload's answer. */
export const MAX_NEAR_DUPLICATES_LISTED = 10
