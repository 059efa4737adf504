-- POST /v1/detokenize over existing tokens (TV_TOKENS_FILE), Zipf-distributed with exponent
-- TV_ZIPF_S (default 1.0): the token on line 1 is the most requested. Admin token (the
-- payments.detokenize scope). The response bodies carry the values: wrk does not print them.
local c = dofile(os.getenv("TV_LUA_DIR") .. "/common.lua")
local bearer, tokens, cdf

setup = c.setup

function init(args)
  c.init_thread()
  bearer = c.env("TV_ADMIN_TOKEN")
  tokens = c.load_tokens()
  cdf = c.zipf_cdf(#tokens, tonumber(c.env("TV_ZIPF_S", "1.0")))
end

function request()
  return c.detokenize_request(bearer, tokens[c.zipf_pick(cdf)])
end

done = c.done
