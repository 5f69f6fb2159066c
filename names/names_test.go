package names

import "testing"

func TestInvisible(t *testing.T) {
	for _, tc := range []struct {
		r    rune
		want bool
		what string
	}{
		{'a', false, "a letter"},
		{'#', false, "a symbol"},
		{'é', false, "a letter with an accent"},
		{'ж', false, "Cyrillic"},
		{'日', false, "Han"},
		{'🎲', false, "an emoji"},
		{'\u0301', false, "a combining accent (it shows on its base)"},
		{' ', true, "space"},
		{'\x07', true, "BEL"},
		{'\x1b', true, "ESC"},
		{'\x7f', true, "DEL"},
		{'\u0085', true, "NEL (C1 control)"},
		{'\u00a0', true, "no-break space"},
		{'\u00ad', true, "soft hyphen"},
		{'\u034f', true, "combining grapheme joiner"},
		{'\u061c', true, "Arabic letter mark"},
		{'\u115f', true, "Hangul choseong filler"},
		{'\u180e', true, "Mongolian vowel separator"},
		{'\u200b', true, "zero-width space"},
		{'\u200c', true, "zero-width non-joiner"},
		{'\u200d', true, "zero-width joiner"},
		{'\u200e', true, "left-to-right mark"},
		{'\u200f', true, "right-to-left mark"},
		{'\u2028', true, "line separator"},
		{'\u2029', true, "paragraph separator"},
		{'\u202a', true, "left-to-right embedding"},
		{'\u202e', true, "right-to-left override"},
		{'\u2060', true, "word joiner"},
		{'\u2066', true, "left-to-right isolate"},
		{'\u2069', true, "pop directional isolate"},
		{'\u2800', true, "braille pattern blank"},
		{'\u3000', true, "ideographic space"},
		{'\u3164', true, "Hangul filler"},
		{'\ue000', true, "private use"},
		{'\ufe0f', true, "variation selector 16"},
		{'\ufeff', true, "byte order mark"},
		{'\uffa0', true, "halfwidth Hangul filler"},
		{'\ufffe', true, "noncharacter"},
		{'\U000e0001', true, "language tag"},
		{'\U000e0100', true, "variation selector 17"},
	} {
		if got := Invisible(tc.r); got != tc.want {
			t.Errorf("Invisible(%s, %s) = %v, want %v", Describe(tc.r), tc.what, got, tc.want)
		}
	}
}

func TestFirstInvisible(t *testing.T) {
	if r, ok := FirstInvisible("#lobby\u200b"); !ok || r != '\u200b' {
		t.Errorf("FirstInvisible(#lobby+ZWSP) = %s, %v", Describe(r), ok)
	}
	if r, ok := FirstInvisible("#caf\u00e9\u202e\u200b"); !ok || r != '\u202e' {
		t.Errorf("FirstInvisible gave %s, %v; want the first, U+202E", Describe(r), ok)
	}
	if _, ok := FirstInvisible("#café-日本"); ok {
		t.Error("a visible name was refused")
	}
}
