-- wrk script: POST batches of 20 storefront events, each batch from one of 5,000 visitors, every
-- event id unique (so every event is stored, none dropped as a repeat).
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  shop = args[1] or "attune-demo.myshopify.com"
  product = args[2] or "1"
end

request = function()
  counter = counter + 1
  local visitor = string.format("%08x%08x", id, counter % 5000)
  local now = os.time() * 1000
  local events = {}
  for i = 1, 20 do
    events[i] = string.format(
      '{"id":"t%d-%d-%d","type":"product_viewed","product":"%s","at":%d}',
      id, counter, i, product, now)
  end
  local body = string.format('{"shop":"%s","visitor":"%s","events":[%s]}',
    shop, visitor, table.concat(events, ","))
  return wrk.format("POST", "/storefront/events", {["Content-Type"] = "text/plain"}, body)
end
