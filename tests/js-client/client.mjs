// A second, independent Plumbline sync client that relies on nothing but the written protocol
// (docs/protocol.md, sync-server/openapi.json). It enrolls, pulls the documents, records one
// finding the way a phone must, pushes it, reads it back from the case list and reconnects
// quietly: a check that the specification is enough to build a client.
//
//   node client.mjs --server http://127.0.0.1:8080 --code K7M2P-9QXDA \
//     --project licheng --unit licheng-b1-1201 --description "水槽下水慢" [--now <ms>]
//
// Progress goes to stderr; stdout carries exactly one line of JSON at the end.
import { parseArgs } from "node:util"
import { randomUUID } from "node:crypto"
import * as A from "@automerge/automerge"
import { blake3 } from "@noble/hashes/blake3.js" // Node's crypto has no BLAKE3 (§4.2)

const log = (...a) => console.error("[js-client]", ...a)
class Fail extends Error {}

const { values: opt } = parseArgs({
  options: {
    server: { type: "string" }, code: { type: "string" }, project: { type: "string" },
    unit: { type: "string" }, description: { type: "string" },
    // The device's clock, in milliseconds since the epoch, for a server whose clock is set
    // (a test's); time still runs from there. The server refuses times far from its own.
    now: { type: "string" },
  },
})
const started = Date.now()
const clockStart = opt.now === undefined ? started : Number(opt.now)
/** The device's time: the real clock, or `--now` plus the time since the program started. */
const deviceNow = () => clockStart + (Date.now() - started)
const API = (opt.server ?? "").replace(/\/+$/, "") + "/api/v1" // §2.1: no trailing slash

// ---------------------------------------------------------------- transport (§2)

let token = null
let roundTrips = 0 // sync requests only: the number §4.9 talks about

async function call(method, path, body) {
  const headers = { accept: "application/json" }
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers["content-type"] = "application/json" // JSON, not postcard (§2.2)
  for (let attempt = 1; ; attempt++) {
    let res
    try {
      res = await fetch(API + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(70_000), // the server gives up at 60 s (408)
      })
    } catch (e) {
      throw new Fail(`cannot reach ${API}${path}: ${e.cause?.message ?? e.message}`)
    }
    if (path.startsWith("/sync/")) roundTrips++
    const text = await res.text()
    if (res.ok) return JSON.parse(text)
    // 503 `busy` stored nothing and asks for the same request again (§2.4).
    if (res.status === 503 && attempt < 4) {
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get("retry-after") ?? 1)))
      continue
    }
    // Error bodies are JSON {code, message}, except 404/405/408 from the router: empty.
    let detail = text.trim() || "(empty body)", code = null
    try { const e = JSON.parse(text); code = e.code; detail = `${e.code}: ${e.message}` } catch {}
    const err = new Fail(`${method} ${path} answered ${res.status}: ${detail}` +
      ` (x-request-id ${res.headers.get("x-request-id")})`)
    Object.assign(err, { status: res.status, code })
    throw err
  }
}

// ---------------------------------------------------------------- digests (§4.2)

const hex = (b) => Buffer.from(b).toString("hex")
// Heads are lowercase hex, so string order is byte order.
const headsDigest = (heads) =>
  blake3(Buffer.concat([...heads].sort().map((h) => Buffer.from(h, "hex")))).slice(0, 16)
const summaryOf = (docs) =>
  hex(blake3(Buffer.concat([...docs.keys()].sort().flatMap((id) =>
    [Buffer.from(id, "utf8"), Buffer.from([0]), headsDigest(A.getHeads(docs.get(id)))]))).slice(0, 16))
const sameSet = (a, b) => a.length === b.length && a.every((h) => b.includes(h))

// ---------------------------------------------------------------- the sync (§4)

// Everything the device holds, in memory: a real device persists each document, its encoded
// sync state and its acknowledged heads together.
const docs = new Map()   // doc id -> automerge document
const states = new Map() // doc id -> sync state
const acked = new Map()  // doc id -> acknowledged heads (hex)
let actor = null         // hex of the device id's UTF-8 bytes (§3.4)

const syncBase = () => ({ api_version: 1, device_time: deviceNow() })

// Exchanges the listed documents until each is done (§4.5). A refusal is fatal here: this
// client cannot set refused changes aside, so it must stop (§4.7).
async function exchange(todo) {
  let pending = [...todo]
  for (let round = 0; round < 16 && pending.length; round++) {
    const next = []
    for (let i = 0; i < pending.length; i += 64) {
      const messages = []
      for (const id of pending.slice(i, i + 64)) {
        if (!docs.has(id)) { docs.set(id, A.init({ actor })); states.set(id, A.initSyncState()) }
        const [st, msg] = A.generateSyncMessage(docs.get(id), states.get(id))
        states.set(id, st)
        if (msg) messages.push({ doc: id, message: Array.from(msg) }) // bytes as numbers (§2.2)
      }
      if (!messages.length) continue
      const reply = await call("POST", "/sync/exchange", { ...syncBase(), messages })
      for (const m of reply.messages) {
        const [doc, st] = A.receiveSyncMessage(docs.get(m.doc), states.get(m.doc), Uint8Array.from(m.message))
        docs.set(m.doc, doc); states.set(m.doc, st)
      }
      if (reply.refused.length) {
        for (const r of reply.refused) states.set(r.doc, A.initSyncState())
        throw new Fail(reply.refused.map((r) => `the server refused ${r.doc}: ${r.reason}`).join("; "))
      }
      for (const ack of reply.acks) {
        const heads = ack.heads.map((h) => hex(h))
        acked.set(ack.doc, heads)
        if (sameSet(A.getHeads(docs.get(ack.doc)), heads)) {
          // Done: keep only the shared heads for the next session, as a device would on disk.
          states.set(ack.doc, A.decodeSyncState(A.encodeSyncState(states.get(ack.doc))))
        } else next.push(ack.doc)
      }
    }
    pending = next
  }
  if (pending.length) throw new Fail(`sync did not settle after 16 rounds: ${pending.join(", ")}`)
}

// One whole sync: manifest (summary only, entries when asked), then the exchange (§4.1).
// Returns the number of round trips it took.
async function sync({ entriesAtOnce = false } = {}) {
  const before = roundTrips
  const entries = () => [...docs.keys()].map((doc) => ({ doc, heads: hex(headsDigest(A.getHeads(docs.get(doc)))) }))
  let answer = await call("POST", "/sync/manifest",
    { ...syncBase(), summary: summaryOf(docs), entries: entriesAtOnce ? entries() : null })
  if (answer.send_entries) {
    answer = await call("POST", "/sync/manifest", { ...syncBase(), summary: summaryOf(docs), entries: entries() })
    if (answer.send_entries) throw new Fail("the server asked for entries twice (a server fault, §4.3)")
  }
  if (answer.differs) {
    const { changed, new_on_server } = answer.differs
    log(`manifest: ${changed.length} changed, ${new_on_server.length} new on the server`)
    await exchange([...changed, ...new_on_server])
  } else if (!answer.in_sync) throw new Fail(`unexpected manifest answer ${JSON.stringify(answer)}`)
  return roundTrips - before
}

// ---------------------------------------------------------------- documents (§5)

const S = (s) => new A.ImmutableString(s)
const str = (v) => (v == null ? v : String(v)) // scalar strings read as ImmutableString (§5.2)
const newId = () => randomUUID().replaceAll("-", "")

// Plumbline documents hold no Text: a plain JS string read back means automerge Text (§5.2).
function assertNoText(value, path) {
  if (typeof value === "string") throw new Fail(`${path} is automerge Text, the spec allows none`)
  if (value && typeof value === "object" && !A.isImmutableString(value)) {
    for (const [k, v] of Object.entries(value)) assertNoText(v, `${path}.${k}`)
  }
}

function checkDocuments(projectId, unitId) {
  const project = docs.get(`project:${projectId}`)
  const unit = docs.get(`unit:${unitId}`)
  if (!project) throw new Fail(`the sync did not bring project:${projectId}`)
  if (!unit) throw new Fail(`the sync did not bring unit:${unitId} (no such unit, or this account may not read it)`)
  if (str(project.schema) !== "plumbline/project" || str(project.id) !== projectId) {
    throw new Fail(`project:${projectId} does not identify itself as that project`)
  }
  const listed = (project.project?.buildings ?? []).some((b) => (b.units ?? []).some((u) => str(u.id) === unitId))
  if (!listed) throw new Fail(`unit ${unitId} is not in the buildings of project ${projectId}`)
  const identity = { schema: str(unit.schema), schema_version: unit.schema_version, project: str(unit.project), unit: str(unit.unit) }
  const expected = { schema: "plumbline/unit", schema_version: 1, project: projectId, unit: unitId }
  if (JSON.stringify(identity) !== JSON.stringify(expected)) {
    throw new Fail(`unit:${unitId} has identity ${JSON.stringify(identity)}, expected ${JSON.stringify(expected)}`)
  }
  for (const k of ["rounds", "findings", "editors"]) {
    if (typeof unit[k] !== "object" || unit[k] === null) throw new Fail(`unit:${unitId} lacks the map ${k}`)
  }
  assertNoText(unit, `unit:${unitId}`)
  assertNoText(project, `project:${projectId}`)
  log(`unit:${unitId} holds ${Object.keys(unit.findings).length} findings, ${Object.keys(unit.rounds).length} rounds`)
}

// ---------------------------------------------------------------- the template (§8)

async function fetchTemplate(projectId) {
  try {
    return await call("GET", `/projects/${encodeURIComponent(projectId)}/template`)
  } catch (e) {
    // The router answers an unknown path 404 with an empty body; the API's own 404 is JSON.
    if (e.status === 404 && !e.code) {
      throw new Fail(`this server has no checklist template route (GET /api/v1/projects/{project}/template, §8): ${e.message}`)
    }
    throw e
  }
}

// ---------------------------------------------------------------- the finding (§6.1)

const RECORDING_ROLES = ["inspector", "front_desk", "customer_rep", "manager"]
const ROUND_ROLES = ["inspector", "manager"] // only they may change `rounds` (§5.4)

function pickChecklistItem(template) {
  const room = template.rooms?.find((r) => r.items?.length)
  if (!room) throw new Fail("the checklist template has no room with items")
  const item = room.items[0]
  if (!template.categories?.some((c) => c.id === item.category)) {
    throw new Fail(`template item ${item.id} names an unknown category ${item.category}`)
  }
  return { room: room.id, item: item.id, category: item.category, severity: item.default_severity ?? "S3" }
}

function recordFinding(unitKey, me, pick, description) {
  const now = deviceNow()
  const fid = newId()
  const actorRec = { user: me.user, role: me.role, device: me.device } // plain strings in sealed JSON
  const recorded = { id: newId(), kind: { type: "recorded", origin: "inspection" }, actor: actorRec, at: now }
  const marksRound = ROUND_ROLES.includes(me.role)
  let roundId = null
  if (marksRound) {
    // "The current round": the pre-handover round started last; a new one when there is none.
    const rounds = Object.values(docs.get(unitKey).rounds).filter((r) => str(r.kind) === "PreHandover")
    rounds.sort((a, b) => a.started_at - b.started_at)
    roundId = rounds.length ? str(rounds.at(-1).id) : null
  }
  const doc = A.change(docs.get(unitKey), { message: "record finding", time: Math.floor(now / 1000) }, (d) => {
    if (str(d.editors[me.device] ?? "") !== me.user) d.editors[me.device] = S(me.user)
    if (marksRound && !roundId) {
      roundId = newId()
      d.rounds[roundId] = {
        id: S(roundId), kind: S("PreHandover"), started_at: now,
        started_by: { user: S(me.user), role: S(me.role), device: S(me.device) }, results: {},
      }
      // A Uint inside an object literal is written as a map ({value: 1}) by automerge 3.5;
      // assigned on its own it is a uint (§5.2).
      d.rounds[roundId].number = new A.Uint(1)
    }
    d.findings[fid] = {
      id: S(fid), origin: S("Inspection"), round: roundId ? S(roundId) : null,
      room: S(pick.room), item: S(pick.item), category: S(pick.category), severity: S(pick.severity),
      description: S(description),
      created_by: { user: S(me.user), role: S(me.role), device: S(me.device) },
      created_at: now, evidence: {}, events: [S(JSON.stringify(recorded))], receipts: {},
    }
    if (roundId) {
      d.rounds[roundId].results[pick.item] =
        S(JSON.stringify({ outcome: "defect", finding: fid, by: actorRec, at: now }))
    }
  })
  docs.set(unitKey, doc)
  return fid
}

// ---------------------------------------------------------------- the case list (§9.1)

// There is no total count: page until a short page.
async function listCases(projectId, unitId) {
  const rows = []
  for (let offset = 0; ; offset += 500) {
    const q = new URLSearchParams({ project: projectId, unit: unitId, offset, limit: 500 })
    const page = await call("GET", `/cases?${q}`)
    rows.push(...page)
    if (page.length < 500) return rows
  }
}

// ---------------------------------------------------------------- the run

async function main() {
  for (const k of ["server", "code", "project", "unit", "description"]) {
    if (!opt[k]) throw new Fail(`missing --${k} (usage: node client.mjs --server URL --code CODE --project ID --unit ID --description TEXT [--now MS])`)
  }
  // 1. Enroll (§3).
  const enrolled = await call("POST", "/enroll", { code: opt.code, device_name: "plumbline js client" })
  token = enrolled.token
  actor = Buffer.from(enrolled.device_id, "utf8").toString("hex")
  const membership = enrolled.memberships.find((m) => m.project === opt.project)
  if (!membership) throw new Fail(`${enrolled.user} has no role in project ${opt.project}`)
  const me = { user: enrolled.user, role: membership.role, device: enrolled.device_id }
  log(`enrolled as ${me.device} for ${me.user} (${me.role} in ${opt.project})`)
  if (!RECORDING_ROLES.includes(me.role)) throw new Fail(`a ${me.role} may not record findings (§6.6)`)

  // 2. Pull: a first sync may send `entries: []` at once (§4.3).
  const pullTrips = await sync({ entriesAtOnce: true })
  log(`pulled ${docs.size} documents in ${pullTrips} round trips`)
  checkDocuments(opt.project, opt.unit)

  // 3. The checklist template (§8).
  const template = await fetchTemplate(opt.project)
  const pick = pickChecklistItem(template)
  log(`template ${template.id}: recording in ${pick.room} / ${pick.item} (${pick.category}, ${pick.severity})`)

  // 4. Record the finding and push it until the server acknowledges it (§4.5, §4.6).
  const unitKey = `unit:${opt.unit}`
  const fid = recordFinding(unitKey, me, pick, opt.description)
  const pushTrips = roundTrips
  await exchange([unitKey])
  // The finding is stored exactly when the acknowledged heads include our change.
  const heads = acked.get(unitKey)
  if (!heads || A.getMissingDeps(docs.get(unitKey), heads).length || !A.view(docs.get(unitKey), heads).findings[fid]) {
    throw new Fail(`finding ${fid} was not acknowledged`)
  }
  log(`finding ${fid} acknowledged after ${roundTrips - pushTrips} round trips`)
  // The server stamps a receipt on every event it receives, in a change its reply brings (§4.6).
  if (!Object.keys(docs.get(unitKey).findings[fid].receipts).length) throw new Fail("the server's receipt for the recorded event did not arrive")
  // Finish the sync the push started (§4.1: push, then the manifest).
  log(`manifest after the push: ${await sync()} round trip(s)`)

  // 5. Read the case list and find our finding (§9.1), then reconnect with nothing new.
  const row = (await listCases(opt.project, opt.unit)).find((r) => r.finding === fid)
  if (!row) throw new Fail(`the case list of ${opt.unit} has no row for finding ${fid}`)
  if (row.description !== opt.description) throw new Fail(`case description ${JSON.stringify(row.description)} differs`)
  if (row.created_by !== me.user) throw new Fail(`case created_by ${row.created_by}, expected ${me.user}`)
  log(`case ${fid}: status ${row.status}`)
  const quiet = await sync()
  log(`quiet reconnect took ${quiet} round trip(s)`)

  // 6. The one line on stdout.
  console.log(JSON.stringify({ device: me.device, finding: fid, case_status: row.status, quiet_round_trips: quiet }))
}

main().catch((e) => {
  console.error(`[js-client] error: ${e instanceof Fail ? e.message : e.stack ?? e}`)
  process.exit(1)
})
