; Inno Setup 6 script: CellCounter-Setup.exe from the PyInstaller onedir bundle.
;
; Build the bundle first (from the repository root):
;   pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\cellcounter.spec
; then:
;   iscc /DAppVersion=0.1.0 packaging\windows\cellcounter.iss
; The setup lands in dist\CellCounter-Setup.exe. Relative paths below are
; relative to this script's folder (Inno Setup's SourceDir).
;
; The training variant (CELLCOUNTER_BUNDLE_TRAINING=1) is packed with
;   iscc /DAppVersion=0.1.0 /DDistDir=..\..\dist\CellCounter-Training
;        /DOutputBaseName=CellCounter-Training-Setup /DSpanning packaging\windows\cellcounter.iss
; (/DSpanning splits a setup larger than 2 GB into Setup.exe + .bin slices).
; Both variants share one AppId: installing one replaces the other.

#define AppName "CellCounter"
#define AppExe "CellCounter.exe"
#define CliExe "cellcounter-cli.exe"
#define ProjectProgId "CellCounter.Project"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef DistDir
  #define DistDir "..\..\dist\CellCounter"
#endif
#ifndef OutputBaseName
  #define OutputBaseName "CellCounter-Setup"
#endif

#if !FileExists(AddBackslash(SourcePath) + DistDir + "\" + AppExe)
  #error The bundle is missing: build it with PyInstaller (packaging\cellcounter.spec) before running iscc.
#endif

[Setup]
AppId={{41A29266-0277-478D-B16E-C19537C60761}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The CellCounter authors
AppCopyright=Copyright (c) 2026 The CellCounter authors (MIT licence)
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Installs for the current user without administrator rights; the dialog offers all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
LicenseFile=..\..\LICENSE
SetupIconFile=..\..\resources\icons\cellcounter.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
OutputDir=..\..\dist
OutputBaseFilename={#OutputBaseName}
Compression=lzma2/max
SolidCompression=yes
LZMANumBlockThreads=4
WizardStyle=modern
ChangesAssociations=yes
CloseApplications=yes
#ifdef Spanning
DiskSpanning=yes
DiskSliceSize=max
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "projects"; Description: "Open CellCounter projects (project.cellcounter.json, or a project folder) from Explorer"; GroupDescription: "Explorer integration:"

[InstallDelete]
; A previous version's program files; user data lives elsewhere (%APPDATA%\CellCounter).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Count fluorescent cells and nuclei"
Name: "{group}\{#AppName} command prompt"; Filename: "{cmd}"; Parameters: "/k ""{app}\{#CliExe}"" --help"; WorkingDir: "{userdocs}"; Comment: "The cellcounter-cli command line"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; A project file is named project.cellcounter.json: Windows matches types on the last
; extension (.json) only, so CellCounter is added to "Open with" for .json files instead
; of taking over every JSON file, and project folders get an "Open in CellCounter" entry.
Root: HKA; Subkey: "Software\Classes\{#ProjectProgId}"; ValueType: string; ValueName: ""; ValueData: "CellCounter project"; Flags: uninsdeletekey; Tasks: projects
Root: HKA; Subkey: "Software\Classes\{#ProjectProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"; Tasks: projects
Root: HKA; Subkey: "Software\Classes\{#ProjectProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Tasks: projects
Root: HKA; Subkey: "Software\Classes\.json\OpenWithProgids"; ValueType: string; ValueName: "{#ProjectProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: projects
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey; Tasks: projects
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".json"; ValueData: ""; Tasks: projects
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Tasks: projects
Root: HKA; Subkey: "Software\Classes\Directory\shell\{#AppName}"; ValueType: string; ValueName: ""; ValueData: "Open in CellCounter"; Flags: uninsdeletekey; Tasks: projects
Root: HKA; Subkey: "Software\Classes\Directory\shell\{#AppName}"; ValueType: string; ValueName: "Icon"; ValueData: "{app}\{#AppExe},0"; Tasks: projects
Root: HKA; Subkey: "Software\Classes\Directory\shell\{#AppName}\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Tasks: projects

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
