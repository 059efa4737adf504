-- GET / on nginx serving a static ~100-byte JSON over HTTPS: the machine's TLS+HTTP ceiling.
local c = dofile(os.getenv("TV_LUA_DIR") .. "/common.lua")
setup = c.setup
done = c.done
