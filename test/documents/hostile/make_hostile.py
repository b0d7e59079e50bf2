#!/usr/bin/env python3
"""Writes the hostile document corpus (committed; run by ../fixtures/make-fixtures.sh).

Every file here must end in a typed LongreadError or a clean result when ingested, with the
host process still answering. See README.md in this folder for what each file attacks.
"""
import os, struct, sys, zipfile, zlib

out = sys.argv[1] if len(sys.argv) > 1 else '.'
fx = os.path.join(out, '..', 'fixtures')
P = lambda n: os.path.join(out, n)

# 1. Zip bomb: a DOCX whose document.xml inflates to 64 MiB of zeros (ratio ~1000:1).
with zipfile.ZipFile(P('zip-bomb.docx'), 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr(zipfile.ZipInfo('word/document.xml'), b'\0' * (64 << 20), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)

# 2. Lying sizes: an EPUB whose chapter declares 1000 bytes but inflates to 8 MiB (passes the
#    ratio check, which trusts nothing but must catch it while inflating).
def lying_epub(path):
    chapter = b'<html><body><p>' + b'A' * (8 << 20) + b'</p></body></html>'
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo('mimetype'), 'application/epub+zip', compress_type=zipfile.ZIP_STORED)
        z.writestr('META-INF/container.xml', '<?xml version="1.0"?><container><rootfiles><rootfile full-path="content.opf"/></rootfiles></container>')
        z.writestr('content.opf', '<?xml version="1.0"?><package><metadata/><manifest><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c"/></spine></package>')
        z.writestr('c.xhtml', chapter)
    data = bytearray(open(path, 'rb').read())
    real = len(chapter)
    # Patch the declared uncompressed size of c.xhtml in its local header and central record.
    name = b'c.xhtml'
    for sig, size_off, name_off in ((b'PK\x03\x04', 22, 30), (b'PK\x01\x02', 24, 46)):
        i = 0
        while True:
            i = data.find(sig, i)
            if i < 0: break
            if data[i + name_off:i + name_off + len(name)] == name and struct.unpack_from('<I', data, i + size_off)[0] == real:
                struct.pack_into('<I', data, i + size_off, 1000)
            i += 4
    open(path, 'wb').write(bytes(data))
lying_epub(P('lying-sizes.epub'))

# 3. Overlapping entries (Fifield's non-recursive bomb): two central records, one local file.
with zipfile.ZipFile(P('overlap.epub'), 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('a.xhtml', b'<p>' + b'x' * 100000 + b'</p>')
data = bytearray(open(P('overlap.epub'), 'rb').read())
cd = data.find(b'PK\x01\x02')
eocd = data.find(b'PK\x05\x06')
rec = bytes(data[cd:eocd])
rec2 = rec.replace(b'a.xhtml', b'b.xhtml')
new_cd = rec + rec2
eocd_rec = bytearray(data[eocd:])
struct.pack_into('<HH', eocd_rec, 8, 2, 2)
struct.pack_into('<I', eocd_rec, 12, len(new_cd))
open(P('overlap.epub'), 'wb').write(bytes(data[:cd]) + new_cd + bytes(eocd_rec))

# 4. Path traversal (zip slip) names in a DOCX and an EPUB; and an EPUB spine href escaping.
src = zipfile.ZipFile(os.path.join(fx, 'handbook.docx'))
with zipfile.ZipFile(P('traversal.docx'), 'w', zipfile.ZIP_DEFLATED) as z:
    for info in src.infolist():
        z.writestr(info.filename, src.read(info.filename))
    z.writestr('../../../../tmp/longread-zip-slip.txt', 'pwned')
src = zipfile.ZipFile(os.path.join(fx, 'handbook.epub'))
with zipfile.ZipFile(P('traversal.epub'), 'w', zipfile.ZIP_DEFLATED) as z:
    for info in src.infolist():
        z.writestr(info.filename, src.read(info.filename), compress_type=zipfile.ZIP_STORED if info.filename == 'mimetype' else zipfile.ZIP_DEFLATED)
    z.writestr('/etc/longread-absolute.xhtml', '<p>absolute</p>')
with zipfile.ZipFile(P('spine-escape.epub'), 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr(zipfile.ZipInfo('mimetype'), 'application/epub+zip', compress_type=zipfile.ZIP_STORED)
    z.writestr('META-INF/container.xml', '<?xml version="1.0"?><container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>')
    z.writestr('OEBPS/content.opf', '<?xml version="1.0"?><package><metadata/><manifest><item id="c" href="../../../etc/passwd" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c"/></spine></package>')

# 5. Malformed and truncated PDFs.
pdf = open(os.path.join(fx, 'two-column.pdf'), 'rb').read()
open(P('truncated.pdf'), 'wb').write(pdf[: len(pdf) // 3])
open(P('malformed.pdf'), 'wb').write(b'%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj << /Kids [3 0 R] /Count 99999999 >>\nstream\n\x00\xff\xfe garbage\nendstream\ntrailer << /Root 1 0 R /Size -5 >>\n%%EOF\n')
open(P('header-only.pdf'), 'wb').write(b'%PDF-1.4\n')

# 6. CVE-2024-4367: a font whose FontMatrix carries a JavaScript payload. With eval on (pdf.js
#    <= 4.1.392) the payload would run; it writes a marker file the test checks for.
payload = b"(1\\); process.getBuiltinModule\\('fs'\\).writeFileSync\\('/tmp/longread-cve-2024-4367', 'pwned'\\); //)"
def pdf_doc(objs):
    body = b'%PDF-1.4\n'
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(body))
        body += b'%d 0 obj\n' % i + o + b'\nendobj\n'
    xref = len(body)
    body += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
    for o in offs: body += b'%010d 00000 n \n' % o
    body += b'trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, xref)
    return body
content = b'BT /F1 12 Tf 72 720 Td (The payload must never run.) Tj ET'
open(P('cve-2024-4367.pdf'), 'wb').write(pdf_doc([
    b'<< /Type /Catalog /Pages 2 0 R >>',
    b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream',
    b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FontMatrix [0.001 0 0 0.001 0 ' + payload + b'] >>',
]))

# 7. Encodings and emptiness.
open(P('invalid-utf8.txt'), 'wb').write(b'Valid start, then \xc3\x28 an invalid pair and a lone \xff byte; Caf\xe9.\n')
open(P('empty.txt'), 'wb').write(b'')
# 8. Wrong extensions: a PDF named .txt (read as PDF), a DOCX named .pdf, a PNG named .epub.
open(P('really-a-pdf.txt'), 'wb').write(pdf)
open(P('really-a-docx.pdf'), 'wb').write(open(os.path.join(fx, 'handbook.docx'), 'rb').read())
png = b'\x89PNG\r\n\x1a\n' + struct.pack('>I', 13) + b'IHDR' + struct.pack('>IIBBBBB', 1, 1, 8, 0, 0, 0, 0)
png += struct.pack('>I', zlib.crc32(png[12:29]) & 0xffffffff)
open(P('really-a-png.epub'), 'wb').write(png)
# 9. A spreadsheet-shaped zip (not DOCX or EPUB) and random binary.
with zipfile.ZipFile(P('spreadsheet.docx'), 'w') as z:
    z.writestr('xl/workbook.xml', '<workbook/>')
open(P('random.bin'), 'wb').write(bytes((i * 7919 + 13) % 251 for i in range(4096)) + b'\0')
print('hostile corpus written to', out)
