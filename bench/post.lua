-- post.lua: wrk script for the POST scenarios; the body comes from
-- WRK_BODY, extra headers from WRK_HEADER1 / WRK_HEADER2 ("Name: value").
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
for _, v in ipairs({ os.getenv("WRK_HEADER1"), os.getenv("WRK_HEADER2"),
    os.getenv("WRK_HEADER3") }) do
	if v ~= nil and v ~= "" then
		local name, value = v:match("^([^:]+):%s*(.*)$")
		wrk.headers[name] = value
	end
end
