"""Handwriting fonts (SIL Open Font License) for training digits and not-a-digit symbols.

    python -m training.fonts          # (re)fetch them with npm and verify their checksums

The .woff2 files and their licences are committed in training/fonts/, so training works offline;
this script documents where they come from and refetches them reproducibly: the npm packages
@fontsource/<name> at the pinned version, latin subset, weight 400.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "fonts"
VERSION = "5.3.0"
# Model v2.0's fonts, in the order its training drew from (the first stage's, with HELD_OUT)...
FIRST_STAGE = {
    "architects-daughter": "284a3c1856b253a681c180bf5328cae3b94d4aaab702f6385490ec4e1b449df3",
    "caveat-brush": "1e1ef30f8b69c21206603097ad0ba68591539af68214f7cfb2fbd23991accd48",
    "caveat": "d0b7b931b8980049327e8f8f9ac264617c8200b8422d62e886473d3d9527bad3",
    "covered-by-your-grace": "d2e1a521cf22027d0bb0651f2e6fff548320c18482dd8d52bc4e785563136050",
    "dancing-script": "570e4265bbcb453353ce2fdf63d179332d8daa92691d567547b8a383f3b46c3b",
    "gloria-hallelujah": "90b0ef8d2ed6d4b46b4e010e7b335b182c45c330a15bac3ca76497dbae544700",
    "indie-flower": "cb57752edc96294323252e8d84fa25f975943b2ef3e87b2c984b15ca935d7657",
    "kalam": "954410601a823f37e219f7930b7446f86afa15621326a7078d56fb9c910135cb",
    "nanum-pen-script": "899aa0335c147f0574f17a09fce2e301179cb0232bc96e17feded9d1a06ad5aa",
    "nothing-you-could-do": "84e79a16406aaa9d2bc81583fa7e9f692ed0ad1612967a7deb5ef47f8c1fc6c5",
    "patrick-hand": "ac5bc9033b2572bf84d39f7150c1634e37ed16e8dbee632d6d0bceac0bbf0199",
    "reenie-beanie": "f86de18375e3edba402d39ff85030e270f724d7af865f74a74c92f34a947072c",
    "shadows-into-light": "2498c027559c4ae9a920e18e30031193148983e7ea195416d62c5d0ea2eaa3ac",
}
# ...and those added for model v2.1's second stage (training/train.py --base leaves them out).
SECOND_STAGE = {
    "annie-use-your-telescope": "26d9ba2054906590316cafe4fee055a4d43fa804a5f44c2aa1bd91911d495f10",
    "cedarville-cursive": "ac7aa92ed78f9e9598a1efa3aa33b3963daf276b1f4851baa104f647d5f648d8",
    "delius": "ff2f88a12630943f6104ad66149506e5cead8a7c8e85db3263b0e970cfb17994",
    "gaegu": "1964c6ff2196903d2b44f48f71a7a0ab593012bae9216c96f377b90ff9b0435f",
    "gochi-hand": "8851738d8167bd0384db9dee1df6e5b5e2f9221e613e3466cdea19587a81d7b6",
    "handlee": "d3807ea30015f5082c0a3e2b7803885310db888be091dbc86fecb1ca67f3c622",
    "itim": "733235cab0000b011f318ba1028f1867ddc16e506ec8231f4134e9c0755d5ca6",
    "neucha": "5e0c6ca42b9531a42a7994e3ed907ea9e3a360dcaa6f77847ef587340d21d6ac",
    "short-stack": "eed62bca9927bcbd97fa2432f2344013b1bed43f0529d926f00aa63c5d050a36",
    "sriracha": "dd66cc98657b4048be3950edac49aea725b2a9db5db6cea36b639160a88d7691",
    "sue-ellen-francisco": "af35498e786cbebc60db75e5bd1448472dc44cda41698708edc7ae770fbf469c",
    "swanky-and-moo-moo": "e91335294902c18260c372cbefb30d5eb5bccb396f1a46c8796ff68594c531b4",
    "the-girl-next-door": "2f4e5d1a5879c1ae55aea79a7b9f850ab9ea1c2e3557958af290c54bc64e684f",
    "amatic-sc": "9ee1dd0b37fcea476e4142696cb034a466ad84101dff157b5dde311a02c8c35b",
    "comic-neue": "b7753f30f8bd4925cf48a2ffe936c52ff1f16fe441f8c0245acf046296ac590f",
    "dawning-of-a-new-day": "4936d1dfbc52cfc9182ba82a9022cdac3c869dcb3af91d423b1579b7b8e9f4be",
    "delicious-handrawn": "2326555b6a7faec1a227b0b8595f51530f981dc6077b5e6ed5aaeb4e585599d7",
    "edu-nsw-act-foundation": "2ff9c25f3dd9e1065d62a384375fab0e9565a0447f53ee16b7fc6e75027ad170",
    "edu-qld-beginner": "f96c33d6c8877aabf5b9ddefe4d142780076efa588b802749f3e071143f53996",
    "edu-sa-beginner": "91f4ea4ebb7a5e7f2c08cd68416597c5a3e7e6904ae256950c6555f40b9b3c04",
    "edu-tas-beginner": "d3242c436b4f1e7f2245bd486be2ff3d285c6ff97b907e531dad5d42cb8b1ca9",
    "edu-vic-wa-nt-beginner": "4064d35c5d540f73a72d8bcfae7bb46a50665a22b57c319bee2955f0ff204e6f",
    "gamja-flower": "3bd1535adaef7b06a46ae7abef0fee184e26849d4478e790ec18dcd9e82a937b",
    "give-you-glory": "4678f6c81f9a7e2132f24c224a95883a5937cc34aff06715225749cd5ee53b9e",
    "grape-nuts": "bbffdf8189aed69ccef2c0f1d4c9408ac1dd158053623e2df10c5a82c3b2a10d",
    "just-me-again-down-here": "e9036073cad52dae309708aa489751bc587660475aecdd7880adbf4d062d194c",
    "kristi": "1b09d3bc94b24cc7aa803dfa7f09c667d875c596996ddf9ba8d9ee97c3717443",
    "la-belle-aurore": "54da154868e2237e6a2323ede6a4db035be01f0547692c66b0fd7e83a0867047",
    "loved-by-the-king": "52653e3beacf68046b999291262c13d9ee6e2118b2dc5c7ed79a6deb205a1189",
    "mali": "0a740b9e76eda6bfd02c373e351a09ed0c5cd324e5dbd1db112ccd382e26e612",
    "marck-script": "b32acf77642711e18c14d57aabeefa02ee25664a7f40929ee5f72396557b6e76",
    "mynerve": "09294b715b7d23103f8555fd5946350aa9cc89fb9956bd924f146f9cf7499a54",
    "over-the-rainbow": "37896f0dcf287c5856e85b66ef3a8d918f0c332dd8a11d4cd8d7fa343dc64005",
    "pangolin": "22aacb361ed1c64e49c49307f397e1fc1808fc6947e33a8f0a19aa17e4f1d847",
    "playpen-sans": "0501cbd3556c27d1ecd7476df25ec616754fc646c43b4f37cbe0b3007ad61baa",
    "sedgwick-ave": "58d94cdbff7374e387b03ac90cf0b452acf0e9355e75aa7bbad6bd17bb6556f4",
    "shadows-into-light-two": "0cada708e119149edd948291e531ccce6385fe040e74e3bb4d482ec74bd3f22d",
    "waiting-for-the-sunrise": "03ee8b42e5dcb6f3cb2d1d8f35213daf5804aebbca430894a45936845a34ae68",
    "zeyada": "f619e7ead16ca4ee40df66e1d7ec9b2ca2fa46cf8ef0117bd621eda475a61f0d",
}
# Never trained on, and not test fonts either: the number reader's validation numbers are written
# in them (training/numbers.py --validation), so that its rules are chosen on styles no model has
# seen. Every other OFL handwriting font in @fontsource 5.3.0 that renders 0-9 (Apache-licensed
# ones left out).
VALIDATION = {
    "beth-ellen": "9ccd07324785e1ee797666fa3809b4ace66d61f027364dee10e24f2f647fadb3",
    "chilanka": "c563290da81276f1d1c072bbef4419fe8596b538cd8b13de48fed73386647037",
    "fuzzy-bubbles": "2b3d3845173f80db879da471320dfecab6d94ef182a1135e59107424c35bb80e",
    "hachi-maru-pop": "92f44a4b6c0fa65ad8142f0965043ce365e5aaccd1dc663ad29a0e30a6405c7d",
    "klee-one": "6d98e2b5545e18ec83437289b9d72a704c854743277fc8a68eb8f0cc3c8b506f",
    "liu-jian-mao-cao": "025a844e8db31dab4fe8f68afd0ea6645556afc24c6a408f35c8d8997b88b258",
    "long-cang": "aa0b77b3c13446ff62afc170a1cebbeddece530569051dbeee6461755eed25dc",
    "ma-shan-zheng": "e33074cf1d9ba0fe145595a2372e378491145853a4a94c2d1e35c0c8a1d2bb16",
    "mansalva": "f1af85c4066b3cecb1824b2c439fc9ee658e1e0732dd8df683d2d1c517bad47a",
    "nanum-brush-script": "0fcb6819fafe4c03a1124556e0c7d6be22b1e98c567c048a38d1c48a43620781",
    "nerko-one": "6c6767855b5e131229ffc2c8222c3b525029b30314376eaa0c64ff054dd35447",
    "oooh-baby": "3592f5779ed3dc269d91e755b7031876de68f11230aff31cb4e08a6eb829c41e",
    "sofadi-one": "0b7854176ddbfbbf52e9e1a29e5eea80c12edf620895dfd02fba0b0d4bbed2a9",
    "square-peg": "11023ba023add0a5cbadf8d183238f1fc82ba927a435d27a6a8c4ae944552f64",
    "yomogi": "d45d8563b3a0ecaa77d3afa56ebf6d9d006d07e91f3e2d84adbd203249ad1fa3",
    "zen-kurenaido": "8f6d05dfd2ac95edf905676a2b2edf5d797aa7d1a365974475c84b781fe6ef8c",
    "zhi-mang-xing": "cab5cb2ca600904e36b711766bceea8d77e67ea99c3024201b5e09779290c8b6",
}
SHA256 = {**FIRST_STAGE, **SECOND_STAGE, **VALIDATION}
# Never seen in training: the unseen-style test's writers.
HELD_OUT = ("kalam", "nothing-you-could-do", "covered-by-your-grace")
TRAINING = tuple(name for name in {**FIRST_STAGE, **SECOND_STAGE} if name not in HELD_OUT)
ADDED = tuple(SECOND_STAGE)
BASE = tuple(name for name in FIRST_STAGE if name not in HELD_OUT)


@cache
def font_bytes(name: str) -> bytes:
    """The verified .woff2 of a font; raises RuntimeError if missing or altered."""
    path = FOLDER / f"{name}.woff2"
    if not path.is_file():
        raise RuntimeError(f"{path} is missing; run python -m training.fonts")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != SHA256[name]:
        raise RuntimeError(f"{path} does not match its sha256; run python -m training.fonts")
    return data


def fetch(names: tuple[str, ...] = tuple(SHA256)) -> None:
    """Fetch each font's npm package, keep its latin .woff2 and its licence, verify sha256."""
    FOLDER.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            spec = f"@fontsource/{name}@{VERSION}"
            subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, check=True,
                           capture_output=True)
            with tarfile.open(Path(tmp) / f"fontsource-{name}-{VERSION}.tgz") as tar:
                member = tar.extractfile(f"package/files/{name}-latin-400-normal.woff2")
                licence = tar.extractfile("package/LICENSE")
                assert member is not None and licence is not None
                data = member.read()
                if hashlib.sha256(data).hexdigest() != SHA256[name]:
                    raise RuntimeError(f"{spec}: the woff2 does not match its pinned sha256")
                (FOLDER / f"{name}.woff2").write_bytes(data)
                (FOLDER / f"{name}.LICENSE").write_bytes(licence.read())
            print(f"{spec}: ok")


def glyph(name: str, text: str, size: int = 80, stroke: int = 0):  # type: ignore[no-untyped-def]
    """`text` drawn in font `name`: a uint8 image, ink bright on 0, cropped to its ink."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(io.BytesIO(font_bytes(name)), size)
    image = Image.new("L", (size * 3, size * 2), 0)
    ImageDraw.Draw(image).text((size // 2, size // 3), text, fill=255, font=font,
                               stroke_width=stroke, stroke_fill=255)
    ink = np.asarray(image)
    ys, xs = np.nonzero(ink)
    if not len(ys):
        return np.zeros((1, 1), np.uint8)
    return ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].copy()


if __name__ == "__main__":
    fetch()
    sys.exit(0)
