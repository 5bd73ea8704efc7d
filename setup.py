"""Package discovery plus the top-level resources/ folder, shipped as ``pipedrive_gui._resources``.

Everything else lives in pyproject.toml; pipedrive_gui.resources.resource_path() finds the folder in
a source checkout, an installed wheel and a frozen build.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["pipedrive_gui", "pipedrive_gui.*"]) + ["pipedrive_gui._resources"],
    package_dir={"pipedrive_gui._resources": "resources"},
    package_data={"pipedrive_gui._resources": ["*", "**/*"]},
    include_package_data=False,
)
