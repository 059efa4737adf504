-- The vault's cheapest authenticated request: GET /v1/payments/{id} of an existing payment
-- (TV_PAYMENT_ID), answered 200. It runs TLS, HTTP parsing, the bearer check (cached
-- verification) and the scope check, one SQLite point read and a small JSON response, and writes
-- nothing (no audit event). GET /v1/tokens/{unknown} is not cheaper: its 404 writes an audited
-- refusal through the group-commit writer.
local c = dofile(os.getenv("TV_LUA_DIR") .. "/common.lua")
setup = c.setup

-- no request() function: wrk formats this static request once per thread after init()
function init(args)
  c.init_thread()
  wrk.method = "GET"
  wrk.path = "/v1/payments/" .. c.env("TV_PAYMENT_ID")
  wrk.headers["Authorization"] = "Bearer " .. c.env("TV_TOKEN")
end

done = c.done
