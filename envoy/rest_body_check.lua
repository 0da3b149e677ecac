-- Refuses a REST request whose JSON body names a field the API does not have, with 400.
--
-- Envoy's gRPC-JSON transcoder drops unknown body fields silently (no option rejects them:
-- envoyproxy/envoy#46623), so a misspelt "titel" would be accepted and ignored. ROUTES and
-- MESSAGES are generated from the API descriptors by services/mesh/rest_body_check.py; this
-- script only walks the body's keys. A body that is not valid JSON is left to the transcoder,
-- which answers it with 400 itself.
--
-- MESSAGES: message name -> { json key -> true (any value) | "message name" | { map = ... } }.

local ROUTES = __ROUTES__
local MESSAGES = __MESSAGES__
local MAX_DEPTH = 32
local MAX_QUOTED = 40
local ESCAPES = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
local MALFORMED = {}

local function skip_space(s, i)
  local _, last = s:find("^[ \t\r\n]*", i)
  return last + 1
end

-- Returns the string starting at s[i] == '"' (decoded when `keep`) and the index after it.
local function read_string(s, i, keep)
  local parts, j = {}, i + 1
  while true do
    local k = s:find('["\\]', j)
    if k == nil then error(MALFORMED, 0) end
    if keep then parts[#parts + 1] = s:sub(j, k - 1) end
    if s:byte(k) == 34 then return table.concat(parts), k + 1 end
    local escape = s:sub(k + 1, k + 1)
    if escape == "u" then
      local code = tonumber(s:sub(k + 2, k + 5), 16)
      if code == nil then error(MALFORMED, 0) end
      if keep then parts[#parts + 1] = code < 128 and string.char(code) or "?" end
      j = k + 6
    else
      if keep then parts[#parts + 1] = ESCAPES[escape] or escape end
      j = k + 2
    end
  end
end

local read_value

-- `fields`: the message's keys, or true when any key goes; `map_of`: a map's value schema.
local function read_object(s, i, fields, map_of, path, depth)
  i = skip_space(s, i + 1)
  if s:sub(i, i) == "}" then return i + 1 end
  while true do
    if s:sub(i, i) ~= '"' then error(MALFORMED, 0) end
    local key
    key, i = read_string(s, i, true)
    i = skip_space(s, i)
    if s:sub(i, i) ~= ":" then error(MALFORMED, 0) end
    local child = true
    if map_of ~= nil then
      child = map_of
    elseif fields ~= true then
      child = fields[key]
      if child == nil then error({ unknown = path .. key }, 0) end
    end
    i = skip_space(s, read_value(s, skip_space(s, i + 1), child, path .. key .. ".", depth + 1))
    local c = s:sub(i, i)
    if c == "}" then return i + 1 end
    if c ~= "," then error(MALFORMED, 0) end
    i = skip_space(s, i + 1)
  end
end

read_value = function(s, i, schema, path, depth)
  if depth > MAX_DEPTH then error(MALFORMED, 0) end
  local c = s:sub(i, i)
  if c == "{" then
    if type(schema) == "string" then
      return read_object(s, i, MESSAGES[schema] or true, nil, path, depth)
    elseif type(schema) == "table" then
      return read_object(s, i, true, schema.map, path, depth)
    end
    return read_object(s, i, true, nil, path, depth)
  elseif c == "[" then -- a repeated field: every element has the field's schema
    i = skip_space(s, i + 1)
    if s:sub(i, i) == "]" then return i + 1 end
    while true do
      i = skip_space(s, read_value(s, i, schema, path, depth + 1))
      local next_char = s:sub(i, i)
      if next_char == "]" then return i + 1 end
      if next_char ~= "," then error(MALFORMED, 0) end
      i = skip_space(s, i + 1)
    end
  elseif c == '"' then
    local _, after = read_string(s, i, false)
    return after
  end
  local _, last = s:find("^[%w%.%+%-]+", i) -- numbers, true, false, null
  if last == nil then error(MALFORMED, 0) end
  return last + 1
end

local function route_for(method, path)
  for _, route in ipairs(ROUTES) do
    if route.method == method and path:find(route.pattern) then return route end
  end
  return nil
end

local function json_quote(text)
  if #text > MAX_QUOTED then text = text:sub(1, MAX_QUOTED) .. "..." end
  text = text:gsub("[%c\"\\]", function(ch) return string.format("\\u%04x", ch:byte()) end)
  return (text:gsub("[\128-\255]", "?"))
end

function envoy_on_request(handle)
  local headers = handle:headers()
  local path = (headers:get(":path") or ""):gsub("%?.*$", "")
  local route = route_for(headers:get(":method"), path)
  if route == nil then return end
  local body = handle:body()
  if body == nil or body:length() == 0 then return end
  local text = body:getBytes(0, body:length())
  local ok, problem = pcall(function()
    read_value(text, skip_space(text, 1), route.body, "", 0)
  end)
  if ok or type(problem) ~= "table" or problem.unknown == nil then return end
  handle:respond(
    { [":status"] = "400", ["content-type"] = "application/json" },
    '{"code":3,"message":"The request body has a field this API does not know: \\"'
      .. json_quote(problem.unknown)
      .. '\\". Check its spelling against the API reference (/api/docs).","details":[]}'
  )
end
