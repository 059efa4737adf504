-- A mixed profile, chosen per request at random:
--   50% POST /v1/detokenize (admin client, Zipf s=1.0 over TV_TOKENS_FILE, as detokenize.lua)
--   30% POST /v1/tokens     (merchant client, distinct synthetic PANs, as tokenize.lua)
--   20% POST /v1/payments   (merchant client, fresh Idempotency-Key, uniform over the tokens)
local c = dofile(os.getenv("TV_LUA_DIR") .. "/common.lua")
local merchant, admin, tokens, cdf

setup = c.setup

function init(args)
  c.init_thread()
  merchant = c.env("TV_TOKEN")
  admin = c.env("TV_ADMIN_TOKEN")
  tokens = c.load_tokens()
  cdf = c.zipf_cdf(#tokens, tonumber(c.env("TV_ZIPF_S", "1.0")))
end

function request()
  local r = math.random()
  if r < 0.5 then
    return c.detokenize_request(admin, tokens[c.zipf_pick(cdf)])
  elseif r < 0.8 then
    return c.tokenize_request(merchant)
  else
    return c.payment_request(merchant, tokens[math.random(#tokens)])
  end
end

done = c.done
