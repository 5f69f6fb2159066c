# chatd.py: chatd's course commands in WeeChat, typed as in HexChat.
#
#   /python load /path/to/chatd/clients/chatd.py
#   (or copy it to ~/.local/share/weechat/python/autoload/, or
#   ~/.weechat/python/autoload/, to load it at every start)
#
# Then /pm bob hi, /cg games, /jg games, /lg games, /gc games hi, /listg,
# /groups and /online send chatd's PM, CG, JG, LG, GC, LISTG, GROUPS and
# ONLINE to the server of the current buffer. /quote HELP lists the
# server's commands (WeeChat's /help is its own).
#
# A PM's copy comes back as a "self-message" (a PRIVMSG from you to the
# other person), which WeeChat shows in the private buffer with them, but
# chatd sends it only to clients that ask for znc.in/self-message. WeeChat
# 3.8 does not ask by itself, so this script adds the capability to
# irc.server_default.capabilities (servers that do not offer it are not
# asked); /reconnect for it to take effect on a server already connected.
import weechat

VERBS = [
    ("pm", "<nick> <message>", "send one person a private message"),
    ("cg", "<group>", "create a group; you become its operator"),
    ("jg", "<group> [<key>]", "join a group"),
    ("lg", "<group> [<reason>]", "leave a group"),
    ("gc", "<group> <message>", "send a message to everyone in a group"),
    ("listg", "", "list the groups you are in"),
    ("groups", "", "list every group, with its members and topic"),
    ("online", "", "list who is online"),
]

SELF_MESSAGE = "znc.in/self-message"


def run_verb(verb, buffer, args):
    server = weechat.buffer_get_string(buffer, "localvar_server")
    if not server:
        weechat.prnt(buffer, "%s/%s needs a chatd server buffer, channel or query" % (weechat.prefix("error"), verb.lower()))
        return weechat.WEECHAT_RC_ERROR
    line = verb + (" " + args.strip() if args.strip() else "")
    weechat.command(buffer, "/quote -server %s %s" % (server, line))
    return weechat.WEECHAT_RC_OK


def ask_for_self_messages():
    option = weechat.config_get("irc.server_default.capabilities")
    value = weechat.config_string(option)
    if SELF_MESSAGE in value.split(","):
        return
    value = SELF_MESSAGE if not value else value + "," + SELF_MESSAGE
    weechat.config_option_set(option, value, 1)
    weechat.prnt("", "chatd: irc.server_default.capabilities is now %r, so a /pm shows in "
                 "the query (/reconnect a connected chatd server)" % value)


if weechat.register("chatd", "chatd", "1.0", "MIT",
                    "chatd course commands: /pm /cg /jg /lg /gc /listg /groups /online", "", ""):
    for name, args, description in VERBS:
        weechat.hook_command(name, "chatd: " + description, args, "", "", "run_verb", name.upper())
    ask_for_self_messages()
