package state

import "chatd/conf"

// A Reply is a numeric reply from the server encoded once for any
// recipient: the bytes before and after the recipient's nick, which is a
// numeric's first parameter. Replies that depend only on the configuration
// (the welcome burst's 002-005 and the MOTD) are encoded once per config
// and then cost each client one copy instead of an encoding.
type Reply struct {
	head, tail []byte
}

// replyNickHolder stands in for the recipient's nick while a Reply is
// encoded; any one-word middle parameter would do.
const replyNickHolder = "*"

// NewReply encodes a numeric reply for any recipient; params follow the
// recipient's nick. An unencodable reply is logged and sends nothing.
func (w *World) NewReply(code string, params ...string) Reply {
	b, err := Encode(w.numericMessage(code, replyNickHolder, params))
	if err != nil {
		w.Log.Error("encode", "err", err)
		return Reply{}
	}
	at := len(w.ServerPrefix().Name) + len(code) + 3 // ":" name " " code " "
	if len(b) < at+len(replyNickHolder) || string(b[at:at+len(replyNickHolder)]) != replyNickHolder {
		w.Log.Error("encode: reply template has no nick where expected", "line", string(b))
		return Reply{}
	}
	return Reply{head: b[:at:at], tail: b[at+len(replyNickHolder):]}
}

// SendReply queues r for c, addressed to c's nick.
func (w *World) SendReply(c *Client, r Reply) {
	if r.head == nil {
		return
	}
	nick := c.DisplayNick()
	b := make([]byte, 0, len(r.head)+len(nick)+len(r.tail))
	b = append(append(append(b, r.head...), nick...), r.tail...)
	w.Send(c, fitLine(b))
}

// ConfigReplies returns the replies that build makes from the config in
// force, building them on the first call for that config; key names the
// set. Handlers call it on the state goroutine like everything else.
func (w *World) ConfigReplies(key string, build func(w *World) []Reply) []Reply {
	if w.replies.cfg != w.Config {
		w.replies = replyCache{cfg: w.Config, sets: map[string][]Reply{}}
	}
	r, ok := w.replies.sets[key]
	if !ok {
		r = build(w)
		w.replies.sets[key] = r
	}
	return r
}

// replyCache holds ConfigReplies' sets for one config.
type replyCache struct {
	cfg  *conf.Config
	sets map[string][]Reply
}
