// Shapes of the API's answers that the front end reads (the server's OpenAPI document at
// /api/openapi.json is the full reference).

export interface Me {
  account: string
  kind: 'resident' | 'staff' | 'system'
  login: string
  name: string
  phone: string | null
  staff_id: string | null
  role: string | null
  role_name: string | null
  scope: string | null
  scope_name: string | null
  unit: UnitRef | null
  totp_enrolled: boolean
  totp_required: boolean
}

export interface UnitRef {
  id: string
  name: string
}

export interface Rating {
  satisfaction: 'satisfied' | 'basically' | 'not_satisfied'
  fixed: boolean
  responded: boolean | null
  at: string
}

export interface Case {
  id: number
  state: string
  state_name: string
  open: boolean
  subclass: string
  subclass_name: string
  request_type: string
  urgency: string
  grid: string
  place: string[]
  lon: number
  lat: number
  address: string
  description: string
  channel: string
  reporter: string | null
  photos: string[]
  reported_at: string
  filed_at: string | null
  dispatched_at: string | null
  closed_at: string | null
  lead_unit: UnitRef | null
  assisting_units: UnitRef[]
  /** The handling deadline; absent while the clock does not run. */
  due_at: string | null
  warn_at: string | null
  warned: boolean
  overdue: boolean
  supervised: boolean
  extension_requested_minutes: number | null
  return_count: number
  rework_count: number
  reopen_count: number
  urge_count: number
  duplicate_of: number | null
  rating: Rating | null
  follow_up_expired: boolean
  seq: number
}

export interface CaseEvent {
  seq: number
  at: string
  /** Staff id of who acted; hidden from residents except for their own actions. */
  actor: string | null
  role: string
  /** The step, e.g. `dispatch`. */
  step: string
  from: string | null
  to: string
  note: string
  attachments: string[]
  detail: Record<string, unknown>
  /** SM3 hash of the event, chained to the one before. */
  hash: string
}

export interface Unit {
  id: string
  name: string
  kind: string
  /** The node of the jurisdiction tree it serves. */
  area: string
}

/** GET /api/cases/{id}/suggestions: the unit the responsibility list names, and look-alikes. */
export interface Suggestions {
  units: { lead: UnitRef; assisting: UnitRef[]; basis: 'listed' | 'unit_kind' | 'locality' } | null
  duplicates: { case_id: number; metres: number }[]
}

/** One kind of problem of the taxonomy (GET /api/taxonomy), in the caller's language. */
export interface Subclass {
  /** e.g. `E0102`. */
  code: string
  kind: string
  class_name: string
  name: string
  /** `2h` working hours or `5d` working days. */
  time_limit: string
  unit_kind: string
  urgency: string
  /** Plain words residents type for it. */
  synonyms: string[]
}

/** A node of the jurisdiction tree (GET /api/areas). */
export interface Area {
  code: string
  name: string
  level: 'province' | 'city' | 'county' | 'street' | 'community'
  parent: string | null
}

/** A unit grid with its polygon (GET /api/grids). */
export interface Grid {
  code: string
  name: string
  kind: string
  members: string[]
  geometry: { type: 'Polygon'; coordinates: [number, number][][] }
}

/** The unit grid at a point (GET /api/locate): names from the city down to the grid. */
export interface Located {
  grid: string
  place: string[]
}

/** An uploaded file (POST /api/attachments). */
export interface Attachment {
  id: string
  media_type: string
  size: number
  sm3: string
  url: string
  thumbnail_url: string
  created_at: string
}

/**
 * A case as the public board shows it (GET /api/public/cases): filed and not voided or merged,
 * masked by the server — no reporter, phone and ID numbers in the words masked, the place
 * snapped to a ~50 m cell, photos as the URLs of their public variants (metadata removed).
 * As served: `place`, `description` and `photos` are always there; `address` is null when the
 * reporter gave none.
 */
export interface PublicCase {
  id: number
  state: string
  state_name: string
  open: boolean
  subclass: string
  subclass_name: string
  grid: string
  place: string[]
  lon: number
  lat: number
  description: string
  address: string | null
  reported_at: string
  closed_at: string | null
  lead_unit: UnitRef | null
  due_at: string | null
  overdue: boolean
  warned: boolean
  photos: string[]
}

/**
 * A named point: a landmark of a community (GET /api/landmarks) or a found place — a landmark,
 * a street or a community (GET /api/places). `address` is null when there is none.
 */
export interface NamedPoint {
  name: string
  lon: number
  lat: number
  address: string | null
}

/** A person as the proxy endpoints name them: the account and a masked name and phone. */
/** A person, masked (`王**`, `139****0002`). */
export interface PersonRef {
  /** Absent for the elder of a proxy until they consent: asking reveals no account. */
  account?: string | null
  name?: string | null
  phone?: string | null
}

/** 亲友代办: a relative acting for an elder, once the elder has consented (GET /api/proxies). */
export interface Proxy {
  id: number
  relative: PersonRef
  elder: PersonRef
  relation: string
  /** `pending` until the elder consents, then `active`, until revoked. */
  status: 'pending' | 'active' | 'revoked'
  created_at: string
  consented_at?: string | null
  revoked_at?: string | null
  /** While pending: when the code sent to the elder's phone expires. */
  code_expires_at?: string | null
}
