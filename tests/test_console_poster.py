"""The poster's words: numbers as people write them, links decoded, numbers kept in order in an Arabic line."""

from __future__ import annotations

from samen_sms.console.poster import line, written


def test_numbers_are_written_as_people_write_them() -> None:
    assert written("+31800 0188".replace(" ", "")) == "0800 0188"
    assert written("+447700900001") == "+44 7700 900001"
    assert written("whatsapp:+447700900001") == "+44 7700 900001"
    assert written("not a number") == "not a number"


def test_an_arabic_line_keeps_its_number_in_order_and_its_link_readable() -> None:
    link = "https://wa.me/447700900001?text=%D9%85%D8%B1%D8%AD%D8%A8%D8%A7%20K7"
    text = f"أرسل مرحبا إلى +447700900000 أو واتساب: {link}"
    shown = str(line(text, ["+447700900000", "+447700900001"]))
    assert '<bdi dir="ltr" class="tel">+44 7700 900000</bdi>' in shown
    assert '<bdi dir="ltr" class="url">https://wa.me/447700900001?text=مرحبا K7</bdi>' in shown
    assert "%D9" not in shown and "</bdi></bdi>" not in shown


def test_text_is_escaped() -> None:
    shown = str(line("<b>+447700900000</b>", ["+447700900000"]))
    assert shown == '&lt;b&gt;<bdi dir="ltr" class="tel">+44 7700 900000</bdi>&lt;/b&gt;'
