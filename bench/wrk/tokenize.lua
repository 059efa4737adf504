-- POST /v1/tokens with a distinct synthetic, Luhn-valid PAN per request (random token mode).
-- With TV_SEED_OUT set (bench/run.sh's seeding phase) it also collects the tokens it gets back
-- into TV_SEED_OUT.<thread>, TV_SEED_PER_THREAD per thread, then stops that thread.
local c = dofile(os.getenv("TV_LUA_DIR") .. "/common.lua")
local bearer

setup = c.setup

function init(args)
  c.init_thread()
  bearer = c.env("TV_TOKEN")
  if os.getenv("TV_SEED_OUT") then
    local out = assert(io.open(os.getenv("TV_SEED_OUT") .. "." .. (tid or 0), "w"))
    local want = tonumber(c.env("TV_SEED_PER_THREAD"))
    local got = 0
    -- defined only when seeding: a response() function makes wrk parse every body
    response = function(status, headers, body)
      if got >= want then return end
      local token = status == 201 and body:match('"token":"(tok_%w+)"')
      if token then
        out:write(token, "\n")
        got = got + 1
        if got >= want then
          out:close()
          wrk.thread:stop()
        end
      end
    end
  end
end

function request()
  return c.tokenize_request(bearer)
end

done = c.done
