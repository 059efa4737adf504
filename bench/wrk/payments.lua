-- POST /v1/payments: a fresh Idempotency-Key per request, over existing tokens (TV_TOKENS_FILE)
-- picked uniformly. 25.00 USD, approved by the simulated acquirer.
local c = dofile(os.getenv("TV_LUA_DIR") .. "/common.lua")
local bearer, tokens

setup = c.setup

function init(args)
  c.init_thread()
  bearer = c.env("TV_TOKEN")
  tokens = c.load_tokens()
end

function request()
  return c.payment_request(bearer, tokens[math.random(#tokens)])
end

done = c.done
