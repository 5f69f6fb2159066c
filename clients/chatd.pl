# chatd.pl: chatd's course commands in irssi, typed as in HexChat.
#
#   /script load /path/to/chatd/clients/chatd.pl
#   (or copy it to ~/.irssi/scripts/autorun/ to load it at every start)
#
# Then /pm bob hi, /cg games, /jg games, /lg games, /gc games hi, /listg,
# /groups and /online send chatd's PM, CG, JG, LG, GC, LISTG, GROUPS and
# ONLINE. irssi asks chatd for znc.in/self-message by itself, so a PM shows
# in the query with the person it went to. The script also prints chatd's
# standard replies (FAIL, WARN, NOTE: "CG: Group #games already exists...")
# in the window you typed in, instead of irssi's raw line in the status
# window. /quote HELP lists the server's commands (irssi's /help is its own).
# It turns on irssi's show_server_time, so that the messages chatd replays
# when you join a group show the time they were sent, not the time you
# joined (irssi 1.4 has it off; /set show_server_time off undoes it).
use strict;
use warnings;
use Irssi;

our $VERSION = '1.0';
our %IRSSI = (
	authors     => 'chatd',
	name        => 'chatd',
	description => 'chatd course commands (/pm /cg /jg /lg /gc /listg /groups /online) and readable FAIL/NOTE replies',
	license     => 'MIT',
);

# chatd sends a group's recent messages when you join it, each with the
# time it was sent (server-time); irssi shows that time only with
# show_server_time on, and otherwise stamps them all with the join time.
if (!Irssi::settings_get_bool('show_server_time')) {
	Irssi::settings_set_bool('show_server_time', 1);
	Irssi::signal_emit('setup changed');
	Irssi::print("chatd: show_server_time is now on, so replayed messages show when they were sent (/set show_server_time off undoes it)", MSGLEVEL_CLIENTNOTICE);
}

foreach my $verb (qw(pm cg jg lg gc listg groups online)) {
	Irssi::command_bind($verb, sub {
		my ($args, $server, $witem) = @_;
		if (!$server || !$server->{connected}) {
			Irssi::print("Not connected to a server: /connect first", MSGLEVEL_CLIENTERROR);
			return;
		}
		$args =~ s/^\s+|\s+$//g;
		$server->send_raw(uc($verb) . ($args eq '' ? '' : " $args"));
	});
}

# IRCv3 standard replies: "FAIL <command> <code> [<context>...] :<text>".
foreach my $kind (qw(fail warn note)) {
	Irssi::signal_add("event $kind", sub {
		my ($server, $data) = @_;
		my ($params, $text) = split(/ :/, $data, 2);
		my ($command) = split(/ /, $params);
		$text = $params if !defined $text;
		my $level = MSGLEVEL_CRAP;
		Irssi::active_win()->print("$command: $text", $level);
		Irssi::signal_stop();
	});
}
