"""The build compiles the report's gettext catalogs (publish/locale/*/LC_MESSAGES/*.po) to .mo.

Everything else is in pyproject.toml; an editable install or a source checkout compiles the
catalogs when first read (``traffickingmonitor.publish.i18n``)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self):
        super().run()
        from babel.messages import mofile, pofile

        locale = Path(self.build_lib) / "traffickingmonitor" / "publish" / "locale"
        for po in sorted(locale.glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as f:
                catalog = pofile.read_po(f, abort_invalid=True)
            with po.with_suffix(".mo").open("wb") as f:
                mofile.write_mo(f, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": BuildWithCatalogs})
